package httpapi

// snapshotRoutes are the snapshot endpoints.
var snapshotRoutes []route
