#!/usr/bin/env bash
# gen-certs.sh DIR
#
# Generates the TLS material of the secured test broker into DIR, fresh on
# every run (nothing is committed): a CA, the broker's certificate (SAN
# localhost and 127.0.0.1), a "bad host" broker certificate whose only name is
# wrong.invalid, and a client certificate (CN=krest-client), each in every
# form a Kafka client may be given:
#
#   ca.pem                       CA certificate (PEM trust store)
#   truststore.jks / .p12        CA in a JKS / PKCS12 trust store, password trustpass
#   broker.pem, badhost.pem      PKCS#8 key + chain, the broker's PEM key stores
#   client.key, client.crt       PEM client key (PKCS#8, unencrypted) and chain
#   client-enc.key               the same key, PKCS#8 encrypted with keypass
#   client.p12                   PKCS12 key store, password storepass
#   client.jks                   JKS key store, store password storepass, key password keypass
#
# The passwords are test fixtures, not secrets.
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"

if ! command -v openssl >/dev/null; then
  echo "installing openssl from Debian's packages" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >&2
fi
command -v keytool >/dev/null || { echo "keytool (from the JDK that runs the broker) is missing" >&2; exit 1; }

days=365
newkey() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# signed NAME SUBJECT EXT: a key and a certificate signed by the CA.
signed() {
  newkey "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days "$days" \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

newkey ca.key
openssl req -x509 -new -key ca.key -subj "/CN=krest-test-ca" -days "$days" -out ca.pem \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null

signed broker "/CN=localhost" "subjectAltName=DNS:localhost,IP:127.0.0.1"
signed badhost "/CN=wrong.invalid" "subjectAltName=DNS:wrong.invalid"
signed client "/CN=krest-client" "extendedKeyUsage=clientAuth"

for n in broker badhost; do
  { openssl pkcs8 -topk8 -nocrypt -in "$n.key"; cat "$n.crt" ca.pem; } > "$n.pem"
  rm -f "$n.key" "$n.crt"
done

openssl pkcs8 -topk8 -nocrypt -in client.key -out client.pk8 && mv client.pk8 client.key
openssl pkcs8 -topk8 -v2 aes-256-cbc -passout pass:keypass -in client.key -out client-enc.key
cat ca.pem >> client.crt

openssl pkcs12 -export -name client -in client.crt -inkey client.key -passout pass:storepass -out client.p12
keytool -importkeystore -noprompt -srckeystore client.p12 -srcstoretype PKCS12 -srcstorepass storepass \
  -srcalias client -destalias client -destkeystore client.jks -deststoretype JKS \
  -deststorepass storepass -destkeypass keypass >/dev/null 2>&1
for t in JKS PKCS12; do
  ext=$([ "$t" = JKS ] && echo jks || echo p12)
  keytool -importcert -noprompt -alias ca -file ca.pem -keystore "truststore.$ext" -storetype "$t" \
    -storepass trustpass >/dev/null 2>&1
done
rm -f ca.srl
