package config

// autopilotOptions are the keys of the autopilot block that Concord honours.
var autopilotOptions []option
