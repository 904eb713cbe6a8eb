# A production server, as Consul's deployment guide writes one.
datacenter = "dc1"
data_dir   = "/opt/consul"
node_name  = "consul-server-1"
server     = true
bootstrap_expect = 3
bind_addr   = "0.0.0.0"
client_addr = "0.0.0.0"
advertise_addr = "10.0.0.11"
retry_join = ["10.0.0.11", "10.0.0.12", "10.0.0.13"]
encrypt = "2RiCxl2YyfLTBrAGq4saSDwNWzEm3x73MS5hARg618s="
encrypt_verify_incoming = true
encrypt_verify_outgoing = true
log_level = "INFO"
log_json  = false

ui_config { enabled = true }
ports { http = 8500 dns = 8600 grpc = 8502 https = -1 grpc_tls = 8503 }
addresses { http = "0.0.0.0" }
performance { raft_multiplier = 1 }
telemetry { prometheus_retention_time = "24h" disable_hostname = true }
autopilot {
  cleanup_dead_servers      = true
  last_contact_threshold    = "200ms"
  max_trailing_logs         = 250
  server_stabilization_time = "10s"
}
raft_logstore { backend = "wal" }
node_meta { rack = "r1" zone = "eu-west-1a" }

acl {
  enabled                  = true
  default_policy           = "deny"
  down_policy              = "extend-cache"
  enable_token_persistence = true
  tokens {
    initial_management = "3d9ba3d4-95ab-4e15-8d62-3b5b3c1d4e9c"
    agent              = "6a0e8bd7-6bb6-4a68-9a7e-1f2f3c4d5e6f"
  }
}

tls {
  defaults {
    ca_file         = "/etc/consul.d/consul-agent-ca.pem"
    cert_file       = "/etc/consul.d/dc1-server-consul-0.pem"
    key_file        = "/etc/consul.d/dc1-server-consul-0-key.pem"
    verify_incoming = true
    verify_outgoing = true
  }
  internal_rpc { verify_server_hostname = true }
}

auto_encrypt { allow_tls = true }
connect { enabled = true }
limits { http_max_conns_per_client = 400 rpc_max_conns_per_client = 200 }

dns_config {
  allow_stale = true max_stale = "87600h" node_ttl = "10s"
  service_ttl { "*" = "5s" }
  enable_truncate = true
  only_passing    = true
}
leave_on_terminate      = false
skip_leave_on_interrupt = true
