# krest's container image: one static binary on an empty base, run as
# nonroot (65532), no shell. No base image is pulled: `make image` builds
# bin/image/rootfs (the CGO_ENABLED=0, PGO-optimised krest, the build host's
# CA bundle, /etc/passwd and /etc/group naming 65532, and /tmp) and then runs
# `docker build -t krest .`.
#
#   docker run -p 8082:8082 krest                                  # dev mode: embedded Kafka
#   docker run -p 8082:8082 krest -bootstrap.servers kafka:9092    # a real cluster
#   docker run -p 8082:8082 -e KREST_BOOTSTRAP_SERVERS=kafka:9092 krest
FROM scratch
COPY bin/image/rootfs/ /
USER 65532:65532
EXPOSE 8082
ENTRYPOINT ["/usr/bin/krest"]
