# The exporter and the courier workload tools, built from Debian 12 packages only
# (the same ones scripts/install-deps installs), in a slim runtime image.
#   docker build -t kafka-sidecar-exporter:0.1.0 .
#   docker run --rm -p 9308:9308 -p 7071-7073:7071-7073 kafka-sidecar-exporter:0.1.0 --bootstrap-servers kafka1:9092

FROM debian:12 AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config ca-certificates \
      librdkafka-dev prometheus-cpp-dev libcivetweb-dev libyaml-cpp-dev libboost-dev libboost-system-dev \
      libspdlog-dev libfmt-dev libcli11-dev libsimdjson-dev libpcre2-dev libssl-dev zlib1g-dev libkrb5-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY exporter exporter
COPY workload workload
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DKSE_BUILD_TESTS=OFF -DKSE_BUILD_BENCH=OFF -DKSE_PACKAGING=OFF \
 && cmake --build build --target kafka-sidecar-exporter courier-producer courier-consumer courier-tx \
 && mkdir -p /out/bin \
 && cp build/exporter/kafka-sidecar-exporter build/workload/courier-producer build/workload/courier-consumer \
       build/workload/courier-tx /out/bin/ \
 && strip /out/bin/*
# The runtime image gets exactly the Debian packages whose libraries the binaries load.
RUN for library in $(ldd /out/bin/* | awk '/=> \//{print $3}' | sort -u); do \
      real=$(realpath "$library"); dpkg -S "$real" 2>/dev/null || dpkg -S "${real#/usr}"; \
    done | cut -d: -f1 | sort -u > /out/runtime-packages \
 && test -s /out/runtime-packages

FROM debian:12-slim
COPY --from=build /out/runtime-packages /tmp/runtime-packages
# libsasl2-modules-gssapi-mit and krb5-user: the probe's GSSAPI logins (librdkafka's plugin, kinit).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates \
      libsasl2-modules-gssapi-mit krb5-user $(cat /tmp/runtime-packages) \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages \
 && useradd --system --no-create-home --shell /usr/sbin/nologin exporter
COPY --from=build /out/bin/ /usr/local/bin/
COPY exporter/kafka-broker-rules.yml exporter/kafka-connect-rules.yml /etc/kafka-sidecar-exporter/
USER exporter
# Broker ports 7071.. and the cluster port (kafka_exporter's 9308); the workload tools use 7081-7083.
EXPOSE 7071 7072 7073 9308
ENTRYPOINT ["kafka-sidecar-exporter"]
CMD ["--help"]
