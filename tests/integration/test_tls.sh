#!/usr/bin/env bash
# tls+tcp:// between agent and aggregator, verified against a CA; an agent
# that does not trust the server's certificate does not deliver.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Lens test CA" \
  -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout srv.key -out srv.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > ext.cnf
openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
  -extfile ext.cnf -out srv.crt 2>/dev/null
cat srv.crt srv.key > server.pem
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Other CA" \
  -keyout other.key -out other.crt 2>/dev/null
cd - >/dev/null || exit 1

start_pg
AGG_NNG=tls+tcp://localhost:$(free_port)
start_aggregator --tls-cert-key-file "$T/server.pem"
check "aggregator listens on tls+tcp" grep -q "listening for agents.*tls+tcp" "$T/aggregator.log"
start_agent --node-name tls-node --heartbeat-interval 200ms --tls-ca-file "$T/ca.crt" --tls-server-name localhost
check "a node reports over TLS" wait_for 15 curl -sf "http://$AGG_HTTP/api/v1/nodes/tls-node"
stop_pid "$AGENT_PID" lens-agent

SPOOL=$T/spool2 AGENT_HTTP=
start_agent --node-name untrusting-node --heartbeat-interval 200ms --tls-ca-file "$T/other.crt" --tls-server-name localhost
sleep 2
check_eq "an agent that does not trust the certificate delivers nothing" 0 "$(sql "SELECT count(*) FROM nodes WHERE name = 'untrusting-node'")"
check "and keeps its envelopes spooled" test "$(agent_metric 'lens_agent_spool_records{stream="control"}')" -ge 2
stop_pid "$AGENT_PID" lens-agent

out=$("$B/bin/lens-aggregator" --database-url "$DB_URL" --listen tls+tcp://127.0.0.1:$(free_port) --http-listen 127.0.0.1:0 2>&1)
check "a TLS listener without a certificate is a clear error" grep -q "a tls+tcp listener needs a certificate" <<<"$out"
stop_pid "$AGG_PID" lens-aggregator
