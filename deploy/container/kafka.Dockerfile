# A single-node Kafka (KRaft, broker and controller in one process) built from the jars
# cluster/kafka-cluster fetches from Maven Central, on Debian 12 and Debian's Java 17: a
# local stand-in for the compose file's apache/kafka image where no registry is reachable.
# Same layout and conventions as apache/kafka: /opt/kafka/bin/kafka-*.sh, the broker's
# settings from KAFKA_* variables (KAFKA_NODE_ID -> node.id), CLUSTER_ID, KAFKA_HEAP_OPTS,
# KAFKA_OPTS; with none set, one node on localhost:9092 (controller 9093).
#
# The build context holds libs/ (Kafka's jars), agents/jolokia-agent.jar and this
# directory's kafka-entrypoint.sh, kafka-tool.sh and kafka-log4j2.properties;
# scripts/container-images assembles it and tags the result localhost/apache/kafka:VERSION.
FROM debian:12-slim
ARG KAFKA_VERSION
# Java's alternatives link man pages: the slim image's excluded man directory must exist.
RUN mkdir -p /usr/share/man/man1 \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 1000 --home-dir /var/lib/kafka --shell /usr/sbin/nologin appuser \
 && mkdir -p /opt/kafka/bin /opt/kafka/config /var/lib/kafka/data /opt/jolokia \
 && chown -R appuser /var/lib/kafka /opt/kafka/config
COPY libs/ /opt/kafka/libs/
COPY agents/jolokia-agent.jar /opt/jolokia/jolokia-agent.jar
COPY kafka-log4j2.properties /opt/kafka/config/log4j2.properties
COPY kafka-entrypoint.sh kafka-tool.sh /opt/kafka/bin/
# Kafka's tool scripts, each a name of kafka-tool.sh (which maps it to its main class).
RUN cd /opt/kafka/bin \
 && chmod 755 kafka-entrypoint.sh kafka-tool.sh \
 && for tool in $(./kafka-tool.sh --list); do ln -s kafka-tool.sh "$tool.sh"; done \
 && echo "$KAFKA_VERSION" > /opt/kafka/version
ENV PATH=/opt/kafka/bin:$PATH
USER appuser
WORKDIR /var/lib/kafka
EXPOSE 9092 9093
ENTRYPOINT ["/opt/kafka/bin/kafka-entrypoint.sh"]
