package config

// tlsOptions are the keys of TLS that Concord honours.
var tlsOptions []option
