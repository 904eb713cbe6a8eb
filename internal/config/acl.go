package config

// aclOptions are the keys of the acl block that Concord honours.
var aclOptions []option
