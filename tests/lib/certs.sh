# A test CA and certificates, made at test time (sourced by harness.sh).
#
#   certs_make   creates, once per test script, under $PF_TMP/certs:
#                PF_TEST_CA         the CA certificate (point programs at it
#                                   with SSL_CERT_FILE=$PF_TEST_CA)
#                PF_TLS_CERT/KEY    server certificate signed by the CA,
#                                   SAN DNS:localhost only (no IP SAN, so
#                                   host "127.0.0.1" is a name mismatch)
#                PF_SELFSIGNED_CERT/KEY  a self-signed certificate for
#                                   localhost that the CA does not vouch for
#                PF_OTHER_CERT/KEY  signed by the CA, but for another host
#                                   (DNS:other.example)

# Make the CA, the server certificate and the self-signed one.
certs_make()
{
	local d=$PF_TMP/certs
	[ -f "$d/other.crt" ] && { _certs_export; return 0; }
	mkdir -p "$d"
	(
		set -e
		cd "$d"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout ca.key -out ca.crt -days 2 \
		    -subj "/O=postfetch tests/CN=postfetch test CA" \
		    -addext "basicConstraints=critical,CA:TRUE" \
		    -addext "keyUsage=critical,keyCertSign,cRLSign"
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout server.key -out server.csr \
		    -subj "/O=postfetch tests/CN=localhost"
		printf '%s\n' "subjectAltName=DNS:localhost" \
		    "basicConstraints=CA:FALSE" \
		    "keyUsage=critical,digitalSignature,keyEncipherment" \
		    "extendedKeyUsage=serverAuth" >server.ext
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key \
		    -CAcreateserial -out server.crt -days 2 -sha256 \
		    -extfile server.ext
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout other.key -out other.csr \
		    -subj "/O=postfetch tests/CN=other.example"
		sed 's/DNS:localhost/DNS:other.example/' server.ext >other.ext
		openssl x509 -req -in other.csr -CA ca.crt -CAkey ca.key \
		    -CAcreateserial -out other.crt -days 2 -sha256 \
		    -extfile other.ext
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout selfsigned.key -out selfsigned.crt -days 2 \
		    -subj "/O=postfetch tests/CN=localhost" \
		    -addext "subjectAltName=DNS:localhost"
		chmod 644 ./*.crt
		chmod 600 ./*.key
	) >"$PF_TMP/certs.log" 2>&1 || {
		cat "$PF_TMP/certs.log" >&2
		bail "certs_make: openssl failed"
	}
	_certs_export
}

# Export the certificate paths.
_certs_export()
{
	PF_TEST_CA=$PF_TMP/certs/ca.crt
	PF_TLS_CERT=$PF_TMP/certs/server.crt
	PF_TLS_KEY=$PF_TMP/certs/server.key
	PF_SELFSIGNED_CERT=$PF_TMP/certs/selfsigned.crt
	PF_SELFSIGNED_KEY=$PF_TMP/certs/selfsigned.key
	PF_OTHER_CERT=$PF_TMP/certs/other.crt
	PF_OTHER_KEY=$PF_TMP/certs/other.key
	export PF_TEST_CA PF_TLS_CERT PF_TLS_KEY PF_SELFSIGNED_CERT \
	    PF_SELFSIGNED_KEY PF_OTHER_CERT PF_OTHER_KEY
}
