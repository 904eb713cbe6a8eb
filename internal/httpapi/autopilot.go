package httpapi

// autopilotRoutes are the autopilot endpoints.
var autopilotRoutes []route
