package httpapi

// coordinateRoutes are the coordinate endpoints.
var coordinateRoutes []route
