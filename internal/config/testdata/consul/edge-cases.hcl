# HCL1 forms Consul accepts: key = { } as key { }, repeated blocks as a
# list, heredocs, commas between arguments, numbers and booleans as strings.
data_dir = "/tmp/consul"
server = "true"
bootstrap_expect = "1"
ports = { http = "8500", dns = 8600 }
ports { serf_lan = 8301 }
node_meta = { "build" = "42", role = "edge" }
node_meta { owner = "team-a" }
dns_config { allow_stale = "true", node_ttl = "30s" }
service {
  name  = "notes"
  notes = <<EOF
Line one.
  Line two, indented.
EOF
  port = 7000
}
watches = [{
  type    = "keyprefix"
  prefix  = "notes/"
  handler = <<-EOT
    /usr/local/bin/notes-changed
    EOT
}]
