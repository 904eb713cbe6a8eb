# A client agent that registers a service, a node check and a watch.
datacenter = "dc1"
data_dir   = "/opt/consul"
node_name  = "web-1"
retry_join = ["provider=aws tag_key=consul-role tag_value=server"]
enable_local_script_checks = true
leave_on_terminate = true

service {
  name = "web"
  id   = "web-1"
  port = 8080
  tags = ["v1", "primary"]
  meta { version = "1.2.3" }
  check {
    id       = "web-http"
    name     = "HTTP on 8080"
    http     = "http://localhost:8080/health"
    method   = "GET"
    interval = "10s"
    timeout  = "1s"
  }
}

service {
  name = "web-admin"
  port = 9090
  checks = [
    { id = "admin-tcp", tcp = "localhost:9090", interval = "15s" },
    { id = "admin-ttl", ttl = "30s" },
  ]
}

check {
  id       = "mem"
  name     = "Memory utilization"
  args     = ["/usr/local/bin/check_mem.py", "-limit", "256MB"]
  interval = "30s"
}

watches = [
  {
    type         = "key"
    key          = "web/config"
    handler_type = "script"
    args         = ["/usr/local/bin/reload-web.sh"]
  },
  {
    type         = "service"
    service      = "db"
    handler_type = "http"
    http_handler_config {
      path    = "https://hooks.example.com/db-changed"
      method  = "POST"
      header  = { "X-Token" = ["secret"] }
      timeout = "10s"
    }
  },
]

telemetry = {
  disable_hostname = true
  prometheus_retention_time = "30s"
}
