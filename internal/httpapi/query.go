package httpapi

// queryRoutes are the query endpoints.
var queryRoutes []route
