package httpapi

// aclRoutes are the acl endpoints.
var aclRoutes []route
