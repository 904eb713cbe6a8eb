package httpapi

// keyringRoutes are the keyring endpoints.
var keyringRoutes []route
