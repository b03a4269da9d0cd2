#!/usr/bin/env python3
"""Writes grafana/dashboards/*.json, the dashboards Grafana provisions.

The JSON files are generated so that every panel follows the same layout, the
same datasource and the same label filters; edit this file, then run
`python3 grafana/generate_dashboards.py` (or `--check` to compare without writing).
"""
import json
import pathlib
import sys

DATASOURCE = {"type": "prometheus", "uid": "prometheus"}
ENV = 'env="$env"'
TOPIC = 'topic=~"$topic"'
GROUP = 'consumergroup=~"$group"'
BROKER = 'broker=~"$broker"'
CLIENT = 'client_id=~"$client"'
RATE = "$__rate_interval"


# ---------------------------------------------------------------- variables

def variable(name, label, query, multi=False, include_all=False, hide=0):
    result = {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "definition": query,
        "query": {"qryType": 1, "query": query, "refId": f"variable-{name}"},
        "refresh": 2,
        "sort": 3 if name == "broker" else 1,
        "multi": multi,
        "includeAll": include_all,
        "hide": hide,
        "options": [],
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]} if include_all else {},
    }
    if include_all:
        result["allValue"] = ".*"
    return result


def env_variable():
    return variable("env", "Cluster (env)", "label_values(kafka_brokers, env)")


def topic_variable(metric="kafka_topic_partitions"):
    return variable("topic", "Topic", f"label_values({metric}{{{ENV}}}, topic)", multi=True, include_all=True)


def group_variable():
    return variable("group", "Consumer group", f"label_values(kafka_consumergroup_members{{{ENV}}}, consumergroup)",
                    multi=True, include_all=True)


def broker_variable():
    return variable("broker", "Broker", f"label_values(kafka_broker_up{{{ENV}}}, broker)", multi=True,
                    include_all=True)


def client_variable():
    return variable("client", "Client", f"label_values(kafka_client_requests_sent_total{{{ENV}}}, client_id)",
                    multi=True, include_all=True)


# ---------------------------------------------------------------- panels

def target(expr, legend="", ref="A", instant=False, table=False, heatmap=False):
    result = {"datasource": DATASOURCE, "expr": expr, "refId": ref, "legendFormat": legend or "__auto"}
    if table:
        result.update({"format": "table", "instant": True, "range": False})
    elif heatmap:
        result.update({"format": "heatmap", "instant": False, "range": True})
    elif instant:
        result.update({"instant": True, "range": False})
    else:
        result.update({"instant": False, "range": True})
    return result


def thresholds(*steps):
    """steps: (value, color) pairs above the base color; the first argument is the base color."""
    base, *rest = steps
    return {"mode": "absolute", "steps": [{"color": base, "value": None}] +
            [{"color": color, "value": value} for value, color in rest]}


OK_RED = thresholds("green", (1, "red"))
UP_DOWN = [{"type": "value", "options": {"0": {"text": "DOWN", "color": "red", "index": 0},
                                         "1": {"text": "UP", "color": "green", "index": 1}}}]


def stat(title, description, targets, unit="none", steps=None, mappings=None, width=4, height=4,
         color_mode="background", graph=False, decimals=None):
    defaults = {"unit": unit, "thresholds": steps or thresholds("blue"), "mappings": mappings or [],
                "color": {"mode": "thresholds"}}
    if decimals is not None:
        defaults["decimals"] = decimals
    return {
        "type": "stat", "title": title, "description": description, "datasource": DATASOURCE,
        "targets": [dict(t, instant=not graph, range=graph) for t in targets],
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": color_mode, "graphMode": "area" if graph else "none", "textMode": "auto",
                    "orientation": "auto", "justifyMode": "auto", "text": {}},
        "_size": (width, height),
    }


def timeseries(title, description, targets, unit="short", width=12, height=8, stack=False, min_zero=True,
               legend_calcs=("lastNotNull", "max")):
    custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never", "spanNulls": False,
              "axisSoftMin": 0 if min_zero else None,
              "stacking": {"mode": "normal" if stack else "none", "group": "A"}}
    custom = {k: v for k, v in custom.items() if v is not None}
    return {
        "type": "timeseries", "title": title, "description": description, "datasource": DATASOURCE,
        "targets": targets,
        "fieldConfig": {"defaults": {"unit": unit, "custom": custom, "color": {"mode": "palette-classic"}},
                        "overrides": []},
        "options": {"legend": {"displayMode": "table", "placement": "bottom", "showLegend": True,
                               "calcs": list(legend_calcs)},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
        "_size": (width, height),
    }


def table(title, description, columns, join_on, width=24, height=8, sort_by=None, hidden=()):
    """columns: (header, expr, unit) per query; each query is instant, one row per join_on labels.
    hidden: headers of value columns only there to bring their labels (a state) into the table."""
    targets, rename, overrides, index, exclude = [], {}, [], {}, {"Time": True}
    for position, label in enumerate(join_on):
        index[label] = position
    for number, (header, expr, unit) in enumerate(columns):
        ref = chr(ord("A") + number)
        targets.append(target(expr, ref=ref, table=True))
        value_field = "Value" if len(columns) == 1 else f"Value #{ref}"
        rename[value_field] = header
        if header in hidden:
            exclude[value_field] = True
        index[value_field] = len(join_on) + number
        if unit:
            overrides.append({"matcher": {"id": "byName", "options": header},
                              "properties": [{"id": "unit", "value": unit}]})
    transformations = [] if len(columns) == 1 else [{"id": "merge", "options": {}}]
    transformations.append({"id": "organize", "options": {"excludeByName": exclude, "indexByName": index,
                                                          "renameByName": rename}})
    options = {"showHeader": True, "cellHeight": "sm", "footer": {"show": False, "reducer": ["sum"], "fields": ""}}
    if sort_by:
        options["sortBy"] = [{"displayName": sort_by, "desc": True}]
    return {
        "type": "table", "title": title, "description": description, "datasource": DATASOURCE,
        "targets": targets, "transformations": transformations,
        "fieldConfig": {"defaults": {"custom": {"align": "auto", "cellOptions": {"type": "auto"}, "filterable": True},
                                     "thresholds": thresholds("green"), "mappings": []},
                        "overrides": overrides},
        "options": options,
        "_size": (width, height),
    }


def bargauge(title, description, targets, unit="percentunit", width=12, height=8, steps=None):
    return {
        "type": "bargauge", "title": title, "description": description, "datasource": DATASOURCE,
        "targets": [dict(t, instant=True, range=False) for t in targets],
        "fieldConfig": {"defaults": {"unit": unit, "min": 0, "max": 1 if unit == "percentunit" else None,
                                     "thresholds": steps or thresholds("green", (0.75, "orange"), (0.85, "red")),
                                     "color": {"mode": "thresholds"}, "mappings": []},
                        "overrides": []},
        "options": {"orientation": "horizontal", "displayMode": "gradient", "showUnfilled": True,
                    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "valueMode": "color", "namePlacement": "auto", "sizing": "auto", "minVizHeight": 10,
                    "minVizWidth": 0, "maxVizHeight": 300},
        "_size": (width, height),
    }


def heatmap(title, description, expr, unit="s", width=12, height=8):
    return {
        "type": "heatmap", "title": title, "description": description, "datasource": DATASOURCE,
        "targets": [target(expr, legend="{{le}}", heatmap=True)],
        "fieldConfig": {"defaults": {"custom": {"hideFrom": {"legend": False, "tooltip": False, "viz": False},
                                                "scaleDistribution": {"type": "linear"}}},
                        "overrides": []},
        "options": {"calculate": False, "cellGap": 1, "color": {"mode": "scheme", "scheme": "Oranges",
                                                                "exponent": 0.5, "fill": "dark-orange",
                                                                "reverse": False, "scale": "exponential",
                                                                "steps": 64},
                    "yAxis": {"axisPlacement": "left", "unit": unit, "reverse": False},
                    "rowsFrame": {"layout": "auto"}, "tooltip": {"mode": "single", "yHistogram": True},
                    "legend": {"show": True}, "exemplars": {"color": "rgba(255,0,255,0.7)"},
                    "filterValues": {"le": 1e-9}, "cellValues": {}},
        "_size": (width, height),
    }


def row(title):
    return {"type": "row", "title": title, "collapsed": False, "panels": [], "_size": (24, 1)}


def layout(panels):
    """Places panels left to right, wrapping at 24 columns; a row starts a new line."""
    x = y = line_height = 0
    for number, panel in enumerate(panels, start=1):
        width, height = panel.pop("_size")
        if panel["type"] == "row" or x + width > 24:
            y += line_height
            x = line_height = 0
        panel["id"] = number
        panel["gridPos"] = {"h": height, "w": width, "x": x, "y": y}
        x += width
        line_height = max(line_height, height)
        if panel["type"] == "row":
            y += height
            x = line_height = 0
    return panels


def dashboard(uid, title, description, variables, panels):
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["kafka", "kafka-sidecar-exporter"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "timepicker": {},
        "fiscalYearStartMonth": 0,
        "liveNow": False,
        "weekStart": "",
        "annotations": {"list": [{"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                                  "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                                  "name": "Annotations & Alerts", "type": "dashboard"}]},
        "links": [{"title": "Kafka dashboards", "type": "dashboards", "tags": ["kafka-sidecar-exporter"],
                   "asDropdown": True, "includeVars": True, "keepTime": True, "icon": "external link",
                   "targetBlank": False, "tooltip": "", "url": ""}],
        "templating": {"list": variables},
        "panels": layout(panels),
    }


# ---------------------------------------------------------------- the dashboards

def cluster_overview():
    panels = [
        row("Cluster health"),
        stat("Brokers", "Brokers in the cluster metadata.",
             [target(f"max(kafka_brokers{{{ENV}}})")], steps=thresholds("red", (1, "green"))),
        stat("Brokers down", "Brokers that left the metadata or did not answer the exporter this cycle.",
             [target(f"sum(kafka_broker_up{{{ENV}}} == bool 0)")], steps=OK_RED),
        stat("Active controller", "Node id of the active controller: the KRaft quorum leader, or in ZooKeeper "
             "mode the controller Metadata names.",
             [target(f"max(kafka_kraft_quorum_leader{{{ENV}}}) or max(kafka_cluster_controller{{{ENV}}})")],
             steps=thresholds("green"),
             mappings=[{"type": "range", "options": {"from": -1e9, "to": -1,
                                                     "result": {"text": "NONE", "color": "red"}}}]),
        stat("Under-replicated partitions", "Partitions whose ISR is smaller than their replica set.",
             [target(f"max(kafka_cluster_under_replicated_partitions{{{ENV}}})")], steps=OK_RED),
        stat("Under-min-ISR partitions", "Partitions whose ISR is below min.insync.replicas: acks=all produce fails.",
             [target(f"max(kafka_cluster_under_min_isr_partitions{{{ENV}}})")], steps=OK_RED),
        stat("Offline partitions", "Partitions without a leader: neither produce nor consume works.",
             [target(f"max(kafka_cluster_offline_partitions{{{ENV}}})")], steps=OK_RED),
        stat("Topics", "Topics in the cluster metadata (after the exporter's topic filters).",
             [target(f"count(kafka_topic_partitions{{{ENV}}})")]),
        stat("Partitions", "Partitions in the cluster.",
             [target(f"max(kafka_cluster_partitions{{{ENV}}})")]),
        stat("Reassigning partitions", "Partitions with a reassignment in progress.",
             [target(f"max(kafka_cluster_reassigning_partitions{{{ENV}}})")], steps=thresholds("green", (1, "orange"))),
        stat("KRaft voters", "Voters of the KRaft metadata quorum.",
             [target(f"max(kafka_kraft_quorum_voters{{{ENV}}})")]),
        stat("End-to-end probe", "Brokers through which the exporter's probe message did not make the whole "
             "produce-consume round trip in the last two probe intervals.",
             [target(f"sum(kafka_probe_up{{{ENV}}} == bool 0)")], steps=OK_RED,
             mappings=[{"type": "value", "options": {"0": {"text": "OK", "index": 0}}}]),
        stat("Last collection", "Seconds since the exporter's last complete collection cycle.",
             [target(f"time() - max(kafka_sidecar_last_collect_success_timestamp_seconds{{{ENV}}})")], unit="s",
             steps=thresholds("green", (60, "orange"), (120, "red")), decimals=0),
        row("Throughput"),
        # The overview is the page left open on a wall: its rates come from the recording rules.
        timeseries("Messages in per topic", "Growth of the topics' log-end offsets: records written per second "
                   "(recording rule kafka:topic_messages_in:rate1m).",
                   [target(f"sum by (topic) (kafka:topic_messages_in:rate1m{{{ENV}, {TOPIC}}})", "{{topic}}")],
                   unit="short"),
        timeseries("Messages consumed per group", "Growth of the groups' committed offsets: records consumed and "
                   "committed per second (recording rule kafka:consumergroup_consume:rate1m).",
                   [target(f"sum by (consumergroup, topic) (kafka:consumergroup_consume:rate1m{{{ENV}, {TOPIC}}})",
                           "{{consumergroup}} / {{topic}}")]),
        timeseries("Bytes in and out per broker", "Client bytes per second through each broker (JMX "
                   "BrokerTopicMetrics, broker totals; recording rules kafka:broker_bytes_in/out:rate1m); out is "
                   "negative.",
                   [target(f"sum by (broker) (kafka:broker_bytes_in:rate1m{{{ENV}}})", "in {{broker}}", "A"),
                    target(f"-sum by (broker) (kafka:broker_bytes_out:rate1m{{{ENV}}})", "out {{broker}}", "B")],
                   unit="Bps", min_zero=False),
        timeseries("Total consumer lag per group", "Records between the groups' committed offsets and the log end "
                   "(recording rule kafka:consumergroup_lag:sum).",
                   [target(f"sum by (consumergroup) (kafka:consumergroup_lag:sum{{{ENV}}})", "{{consumergroup}}")]),
        row("Replication and availability"),
        timeseries("Partition health", "Under-replicated, under-min-ISR and offline partitions over time.",
                   [target(f"max(kafka_cluster_under_replicated_partitions{{{ENV}}})", "under-replicated", "A"),
                    target(f"max(kafka_cluster_under_min_isr_partitions{{{ENV}}})", "under min ISR", "B"),
                    target(f"max(kafka_cluster_offline_partitions{{{ENV}}})", "offline", "C")], width=8),
        timeseries("Leader changes and ISR churn", "Leader changes and ISR shrinks / expands seen between "
                   "collection cycles, per interval.",
                   [target(f"sum(increase(kafka_topic_leader_changes_total{{{ENV}}}[{RATE}]))", "leader changes", "A"),
                    target(f"sum(increase(kafka_topic_isr_shrinks_total{{{ENV}}}[{RATE}]))", "ISR shrinks", "B"),
                    target(f"sum(increase(kafka_topic_isr_expands_total{{{ENV}}}[{RATE}]))", "ISR expands", "C")],
                   width=8),
        timeseries("Brokers up", "1 while the broker is in the metadata and answers the exporter.",
                   [target(f"max by (broker) (kafka_broker_up{{{ENV}}})", "broker {{broker}}")], width=8,
                   legend_calcs=("lastNotNull", "min")),
        table("Brokers", "Brokers from the metadata and whether they answer the exporter.",
              [("Up", f"max by (id, address, rack) (label_replace(kafka_broker_up{{{ENV}}}, \"id\", \"$1\", "
                      f"\"broker\", \"(.*)\") * on (id) group_left (address, rack) "
                      f"max by (id, address, rack) (kafka_broker_info{{{ENV}}}))", None)],
              join_on=("id", "address", "rack"), width=12, height=6),
        table("KRaft quorum voters", "How far each voter's metadata log is behind the quorum leader.",
              [("Lag (records)", f"max by (voter) (kafka_kraft_quorum_voter_lag_records{{{ENV}}})", None),
               ("Last caught up", f"max by (voter) (kafka_kraft_quorum_voter_caught_up_age_seconds{{{ENV}}})", "s")],
              join_on=("voter",), width=12, height=6),
        row("ZooKeeper ensemble (ZooKeeper mode)"),
        stat("ZooKeeper nodes down", "Nodes of zookeeper.servers that did not answer mntr, or answered without "
             "a quorum.", [target(f"sum(kafka_zookeeper_up{{{ENV}}} == bool 0)")], steps=OK_RED),
        stat("ZooKeeper leader", "The node that leads the ensemble; none means the ensemble lost its quorum.",
             [target(f"count(kafka_zookeeper_server_state{{{ENV}, state=\"leader\"}} == 1) "
                     f"or max(kafka_zookeeper_ensemble_servers{{{ENV}}}) * 0")],
             steps=thresholds("red", (1, "green")),
             mappings=[{"type": "value", "options": {"0": {"text": "NONE", "index": 0},
                                                     "1": {"text": "elected", "index": 1}}}]),
        stat("Synced followers", "Followers in sync with the ZooKeeper leader.",
             [target(f"max(kafka_zookeeper_synced_followers{{{ENV}}})")]),
        table("ZooKeeper nodes", "Each node's role and load as its mntr says.",
              [("Up", f"max by (server) (kafka_zookeeper_up{{{ENV}}})", None),
               ("Outstanding requests", f"max by (server) (kafka_zookeeper_outstanding_requests{{{ENV}}})", None),
               ("Average latency", f"max by (server) (kafka_zookeeper_avg_latency_seconds{{{ENV}}})", "s"),
               ("Connections", f"max by (server) (kafka_zookeeper_alive_connections{{{ENV}}})", None),
               ("Znodes", f"max by (server) (kafka_zookeeper_znodes{{{ENV}}})", None)],
              join_on=("server",), width=12, height=6),
        row("Exporter"),
        timeseries("Collection cycle duration", "Wall time of the exporter's last collection cycle.",
                   [target(f"max by (broker) (kafka_sidecar_collect_duration_seconds{{{ENV}}})", "{{broker}}")],
                   unit="s", width=8),
        timeseries("Kafka requests of the exporter", "Requests per second the exporter sends, and those that failed.",
                   [target(f"sum by (api) (rate(kafka_sidecar_requests_total{{{ENV}}}[{RATE}]))", "{{api}}", "A"),
                    target(f"sum(rate(kafka_sidecar_request_errors_total{{{ENV}}}[{RATE}]))", "errors", "B")],
                   unit="reqps", width=8),
        table("Collectors", "1 if that part of the collection worked in the last cycle.",
              [("Up", f"max by (collector) (kafka_sidecar_collector_up{{{ENV}}})", None)],
              join_on=("collector",), width=8),
    ]
    return dashboard("kafka-cluster-overview", "Kafka / Cluster overview",
                     "Brokers, controller, partition health and throughput of one cluster.",
                     [env_variable(), topic_variable()], panels)


def topics():
    selector = f"{ENV}, {TOPIC}"
    panels = [
        row("Selected topics"),
        stat("Partitions", "Partitions of the selected topics.",
             [target(f"sum(kafka_topic_partitions{{{selector}}})")]),
        stat("Messages in", "Records written per second to the selected topics.",
             [target(f"sum(rate(kafka_topic_partition_current_offset{{{selector}}}[{RATE}]))")], unit="short",
             color_mode="value", graph=True),
        stat("Under-replicated", "Partitions of the selected topics with an ISR smaller than the replica set.",
             [target(f"sum(kafka_topic_partition_under_replicated_partition{{{selector}}})")], steps=OK_RED),
        stat("Under min ISR", "Partitions of the selected topics whose ISR is below min.insync.replicas.",
             [target(f"sum(kafka_topic_partition_under_min_isr{{{selector}}})")], steps=OK_RED),
        stat("Offline", "Partitions of the selected topics without a leader.",
             [target(f"sum(kafka_topic_partition_leader{{{selector}}} == bool -1)")], steps=OK_RED),
        stat("Size on disk", "Bytes on disk of the selected topics, all replicas.",
             [target(f"sum(kafka_log_dir_partition_size_bytes{{{selector}}})")], unit="bytes"),
        row("Throughput and size"),
        timeseries("Messages in per topic", "Records written per second (growth of the log-end offsets).",
                   [target(f"sum by (topic) (rate(kafka_topic_partition_current_offset{{{selector}}}[{RATE}]))",
                           "{{topic}}")]),
        timeseries("Messages in per partition", "Records written per second to each partition: a skewed key "
                   "shows here.",
                   [target(f"sum by (topic, partition) (rate(kafka_topic_partition_current_offset{{{selector}}}"
                           f"[{RATE}]))", "{{topic}}-{{partition}}")]),
        timeseries("Bytes in per topic", "Client bytes per second written to the topic, summed over the brokers "
                   "(JMX BrokerTopicMetrics).",
                   [target(f"sum by (topic) (rate(kafka_server_brokertopicmetrics_bytesinpersec{{{selector}}}[{RATE}]))",
                           "{{topic}}")], unit="Bps"),
        timeseries("Size on disk per topic", "Bytes on disk of every replica of the topic.",
                   [target(f"sum by (topic) (kafka_log_dir_partition_size_bytes{{{selector}}})", "{{topic}}")],
                   unit="bytes"),
        timeseries("Leader changes per topic", "Leader changes seen between collection cycles, per interval.",
                   [target(f"sum by (topic) (increase(kafka_topic_leader_changes_total{{{selector}}}[{RATE}]))",
                           "{{topic}}")], width=8),
        timeseries("ISR shrinks per topic", "Replicas dropped from an ISR, per interval.",
                   [target(f"sum by (topic) (increase(kafka_topic_isr_shrinks_total{{{selector}}}[{RATE}]))",
                           "{{topic}}")], width=8),
        timeseries("ISR expands per topic", "Replicas back in an ISR, per interval.",
                   [target(f"sum by (topic) (increase(kafka_topic_isr_expands_total{{{selector}}}[{RATE}]))",
                           "{{topic}}")], width=8),
        row("Details"),
        table("Topics", "Partitions, configuration, records retained and size of each topic.",
              [("Partitions", f"max by (topic) (kafka_topic_partitions{{{selector}}})", None),
               ("min.insync.replicas", f"max by (topic) (kafka_topic_config_min_insync_replicas{{{selector}}})", None),
               ("Retention", f"max by (topic) (kafka_topic_config_retention_seconds{{{selector}}})", "s"),
               ("Retention bytes", f"max by (topic) (kafka_topic_config_retention_bytes{{{selector}}})", "bytes"),
               ("Records retained", f"sum by (topic) (kafka_topic_partition_current_offset{{{selector}}} - "
                                    f"kafka_topic_partition_oldest_offset{{{selector}}})", "short"),
               ("Size on disk", f"sum by (topic) (kafka_log_dir_partition_size_bytes{{{selector}}})", "bytes")],
              join_on=("topic",), height=8),
        table("Partitions", "Leader, replicas, ISR and offsets of every partition, as kafka-topics --describe "
              "and kafka-get-offsets show them.",
              [("Leader", f"max by (topic, partition) (kafka_topic_partition_leader{{{selector}}})", None),
               ("Replicas", f"max by (topic, partition) (kafka_topic_partition_replicas{{{selector}}})", None),
               ("In sync", f"max by (topic, partition) (kafka_topic_partition_in_sync_replica{{{selector}}})", None),
               ("Preferred leader", f"max by (topic, partition) (kafka_topic_partition_leader_is_preferred"
                                    f"{{{selector}}})", None),
               ("Under-replicated", f"max by (topic, partition) (kafka_topic_partition_under_replicated_partition"
                                    f"{{{selector}}})", None),
               ("Under min ISR", f"max by (topic, partition) (kafka_topic_partition_under_min_isr{{{selector}}})",
                None),
               ("Earliest offset", f"max by (topic, partition) (kafka_topic_partition_oldest_offset{{{selector}}})",
                None),
               ("Latest offset", f"max by (topic, partition) (kafka_topic_partition_current_offset{{{selector}}})",
                None),
               ("Last stable offset", f"max by (topic, partition) (kafka_topic_partition_last_stable_offset"
                                      f"{{{selector}}})", None)],
              join_on=("topic", "partition"), height=12),
    ]
    return dashboard("kafka-topics", "Kafka / Topics and partitions",
                     "Throughput, size, replication state and offsets per topic and partition.",
                     [env_variable(), topic_variable()], panels)


def consumer_groups():
    selector = f"{ENV}, {GROUP}"
    with_topic = f"{ENV}, {GROUP}, {TOPIC}"
    panels = [
        row("Selected groups"),
        stat("Groups", "Consumer groups selected.",
             [target(f"count(kafka_consumergroup_members{{{selector}}})")]),
        stat("Members", "Members of the selected groups.",
             [target(f"sum(kafka_consumergroup_members{{{selector}}})")]),
        stat("Groups not stable", "Selected groups in another state than Stable (Empty, rebalancing, Dead).",
             [target(f"count(kafka_consumergroup_state{{{selector}}} == 1) - "
                     f"(count(kafka_consumergroup_state{{{selector}, state=\"Stable\"}} == 1) or vector(0))")],
             steps=thresholds("green", (1, "orange"))),
        stat("Groups not OK", "Selected groups whose worst partition is WARNING, STALLED, STOPPED or REWIND over "
             "the exporter's status window (kafka_consumergroup_status, judged as Burrow does).",
             [target(f"count(max by (consumergroup) (kafka_consumergroup_status{{{selector}, status!=\"OK\"}})) "
                     f"or vector(0)")],
             steps=thresholds("green", (1, "red"))),
        stat("Lag (records)", "Records the selected groups have not committed yet.",
             [target(f"sum(kafka_consumergroup_lag_sum{{{with_topic}}})")], unit="short",
             steps=thresholds("green", (10000, "orange"), (1000000, "red"))),
        stat("Max lag (time)", "Age of the oldest record the selected groups have not consumed.",
             [target(f"max(kafka_consumergroup_lag_seconds_max{{{with_topic}}})")], unit="s",
             steps=thresholds("green", (60, "orange"), (300, "red"))),
        stat("Consumed", "Records per second the selected groups commit.",
             [target(f"sum(rate(kafka_consumergroup_current_offset_sum{{{with_topic}}}[{RATE}]))")],
             color_mode="value", graph=True),
        row("Lag"),
        timeseries("Lag in records", "Records between the committed offset and the log end, per group and topic.",
                   [target(f"sum by (consumergroup, topic) (kafka_consumergroup_lag_sum{{{with_topic}}})",
                           "{{consumergroup}} / {{topic}}")]),
        timeseries("Lag in seconds", "Age of the oldest unconsumed record, per group and topic (largest over the "
                   "partitions).",
                   [target(f"max by (consumergroup, topic) (kafka_consumergroup_lag_seconds_max{{{with_topic}}})",
                           "{{consumergroup}} / {{topic}}")], unit="s"),
        timeseries("Consume rate", "Records committed per second, per group and topic.",
                   [target(f"sum by (consumergroup, topic) (rate(kafka_consumergroup_current_offset_sum"
                           f"{{{with_topic}}}[{RATE}]))", "{{consumergroup}} / {{topic}}")]),
        timeseries("Members", "Members per group; a drop to 0 while lag grows means nobody consumes.",
                   [target(f"sum by (consumergroup) (kafka_consumergroup_members{{{selector}}})",
                           "{{consumergroup}}")], legend_calcs=("lastNotNull", "min", "max")),
        timeseries("Rebalances", "Rebalances per group seen in the last 5 minutes: the group entered a rebalancing "
                   "state or its members changed between cycles.",
                   [target(f"sum by (consumergroup) (increase(kafka_consumergroup_rebalances_total{{{selector}}}[5m]))",
                           "{{consumergroup}}")], legend_calcs=("lastNotNull", "max")),
        row("Details"),
        table("Groups", "Status, state, members and lag of each group, as kafka-consumer-groups --describe --state "
              "shows; the status is the worst partition's over the exporter's status window.",
              [("Status", f"max by (consumergroup, status) (kafka_consumergroup_status{{{selector}}} == 1)", None),
               ("State", f"max by (consumergroup, state) (kafka_consumergroup_state{{{selector}}} == 1)", None),
               ("Members", f"max by (consumergroup) (kafka_consumergroup_members{{{selector}}})", None),
               ("Lag (records)", f"sum by (consumergroup) (kafka_consumergroup_lag_sum{{{with_topic}}})", "short"),
               ("Lag (time)", f"max by (consumergroup) (kafka_consumergroup_lag_seconds_max{{{with_topic}}})", "s")],
              join_on=("consumergroup", "status", "state"), hidden=("Status", "State"), height=7),
        table("Partitions not OK", "Partitions on which a group is WARNING (lag grows at every cycle), STALLED "
              "(members, committed offset still), STOPPED (no members, offset still) or REWIND (offset went back).",
              [("Lag (records)", f"max by (consumergroup, topic, partition, status) "
                                 f"(kafka_consumergroup_partition_status{{{with_topic}}} == 1) * 0 + on (consumergroup, "
                                 f"topic, partition) group_left () max by (consumergroup, topic, partition) "
                                 f"(kafka_consumergroup_lag{{{with_topic}}})", "short")],
              join_on=("consumergroup", "topic", "partition", "status"), height=7, sort_by="Lag (records)"),
        table("Partitions", "Committed offset, log end and lag of every partition a group committed.",
              [("Committed offset", f"max by (consumergroup, topic, partition) (kafka_consumergroup_current_offset"
                                    f"{{{with_topic}}})", None),
               ("Log-end offset", f"max by (consumergroup, topic, partition) (kafka_consumergroup_current_offset"
                                  f"{{{with_topic}}}) * 0 + on (topic, partition) group_left () max by (topic, "
                                  f"partition) (kafka_topic_partition_current_offset{{{ENV}, {TOPIC}}})", None),
               ("Lag (records)", f"max by (consumergroup, topic, partition) (kafka_consumergroup_lag{{{with_topic}}})",
                "short"),
               ("Lag (time)", f"max by (consumergroup, topic, partition) (kafka_consumergroup_lag_seconds"
                              f"{{{with_topic}}})", "s")],
              join_on=("consumergroup", "topic", "partition"), height=12, sort_by="Lag (records)"),
        table("Members and assignments", "Partitions assigned to each member of the groups.",
              [("Assigned partitions", f"max by (consumergroup, client_id, host, member_id) "
                                       f"(kafka_consumergroup_assigned_partitions{{{selector}}})", None)],
              join_on=("consumergroup", "client_id", "host", "member_id"), height=8),
    ]
    return dashboard("kafka-consumer-groups", "Kafka / Consumer groups",
                     "Lag in records and seconds, consume rate, members and state of the consumer groups.",
                     [env_variable(), group_variable(), topic_variable("kafka_consumergroup_lag_sum")], panels)


def brokers():
    selector = f"{ENV}, {BROKER}"
    panels = [
        row("Brokers"),
        stat("Broker up", "1 while the broker is in the metadata and answers the exporter.",
             [target(f"max by (broker) (kafka_broker_up{{{selector}}})", "broker {{broker}}")],
             mappings=UP_DOWN, steps=thresholds("red", (1, "green")), width=8),
        stat("Partitions led", "Partitions each broker leads (served on the leader's port).",
             [target(f"count by (broker) (kafka_topic_partition_leader{{{selector}}} >= 0)", "broker {{broker}}")],
             color_mode="value", width=8),
        stat("Active controller (JMX)", "1 on the broker that is the active KRaft controller.",
             [target(f"max by (broker) (kafka_controller_kafkacontroller_activecontrollercount{{{selector}}})",
                     "broker {{broker}}")], color_mode="value", width=8),
        row("Log dirs"),
        table("Log dirs", "Usage and free space of each log dir, as kafka-log-dirs --describe and df show them.",
              [("Used by Kafka", f"max by (broker, log_dir) (kafka_log_dir_used_bytes{{{selector}}})", "bytes"),
               ("Volume size", f"max by (broker, log_dir) (kafka_log_dir_total_bytes{{{selector}}})", "bytes"),
               ("Usable", f"max by (broker, log_dir) (kafka_log_dir_usable_bytes{{{selector}}})", "bytes"),
               ("Volume used", f"1 - max by (broker, log_dir) (kafka_log_dir_usable_bytes{{{selector}}}) / "
                               f"max by (broker, log_dir) (kafka_log_dir_total_bytes{{{selector}}})", "percentunit"),
               ("Online", f"max by (broker, log_dir) (kafka_log_dir_online{{{selector}}})", None)],
              join_on=("broker", "log_dir"), width=12, height=8),
        bargauge("Volume used", "Share of each log dir's volume in use (alert below 15% free).",
                 [target(f"1 - max by (broker, log_dir) (kafka_log_dir_usable_bytes{{{selector}}}) / "
                         f"max by (broker, log_dir) (kafka_log_dir_total_bytes{{{selector}}})",
                         "broker {{broker}} {{log_dir}}")]),
        timeseries("Log dir size", "Bytes of the replicas in each log dir.",
                   [target(f"sum by (broker, log_dir) (kafka_log_dir_used_bytes{{{selector}}})",
                           "broker {{broker}} {{log_dir}}")], unit="bytes"),
        timeseries("Replica size per broker and topic", "Bytes on each broker's disks per topic.",
                   [target(f"sum by (broker, topic) (kafka_log_dir_partition_size_bytes{{{selector}, {TOPIC}}})",
                           "broker {{broker}} {{topic}}")], unit="bytes"),
        row("Leadership and ISR churn"),
        timeseries("Partitions led per broker", "Partitions each broker leads; a restarted broker leads none "
                   "until a preferred leader election.",
                   [target(f"count by (broker) (kafka_topic_partition_leader{{{selector}}} >= 0)", "broker {{broker}}")],
                   width=8),
        timeseries("Partitions not on their preferred leader", "Partitions led by another broker than their "
                   "first replica, per current leader.",
                   [target(f"sum by (broker) (1 - kafka_topic_partition_leader_is_preferred{{{selector}}})",
                           "broker {{broker}}")], width=8),
        timeseries("ISR shrinks and expands per broker (JMX)", "ISR changes the broker made as a leader, per second.",
                   [target(f"sum by (broker) (rate(kafka_server_replicamanager_isrshrinkspersec{{{selector}}}"
                           f"[{RATE}]))", "shrinks {{broker}}", "A"),
                    target(f"sum by (broker) (rate(kafka_server_replicamanager_isrexpandspersec{{{selector}}}"
                           f"[{RATE}]))", "expands {{broker}}", "B")], unit="ops", width=8),
        table("Leader changes and ISR churn per topic", "Counted over the dashboard's time range, between collection "
              "cycles.",
              [("Leader changes", f"sum by (topic) (increase(kafka_topic_leader_changes_total{{{ENV}, {TOPIC}}}"
                                  f"[$__range]))", "short"),
               ("ISR shrinks", f"sum by (topic) (increase(kafka_topic_isr_shrinks_total{{{ENV}, {TOPIC}}}[$__range]))",
                "short"),
               ("ISR expands", f"sum by (topic) (increase(kafka_topic_isr_expands_total{{{ENV}, {TOPIC}}}[$__range]))",
                "short")],
              join_on=("topic",), width=12, height=8, sort_by="Leader changes"),
        timeseries("Under-replicated partitions seen by each broker (JMX)", "Partitions this broker leads whose ISR is "
                   "short.",
                   [target(f"max by (broker) (kafka_server_replicamanager_underreplicatedpartitions{{{selector}}})",
                           "broker {{broker}}")], width=12),
        row("Broker internals (JMX)"),
        timeseries("Bytes in and out", "Client bytes per second (out negative).",
                   [target(f"sum by (broker) (rate(kafka_server_brokertopicmetrics_bytesinpersec{{{selector}, "
                           f"topic=\"\"}}[{RATE}]))", "in {{broker}}", "A"),
                    target(f"-sum by (broker) (rate(kafka_server_brokertopicmetrics_bytesoutpersec{{{selector}, "
                           f"topic=\"\"}}[{RATE}]))", "out {{broker}}", "B")], unit="Bps", min_zero=False, width=8),
        timeseries("Messages in", "Records per second written to each broker as a leader.",
                   [target(f"sum by (broker) (rate(kafka_server_brokertopicmetrics_messagesinpersec{{{selector}, "
                           f"topic=\"\"}}[{RATE}]))", "broker {{broker}}")], width=8),
        timeseries("Replication bytes in", "Bytes per second the broker fetches as a follower.",
                   [target(f"sum by (broker) (rate(kafka_server_brokertopicmetrics_replicationbytesinpersec"
                           f"{{{selector}, topic=\"\"}}[{RATE}]))", "broker {{broker}}")], unit="Bps", width=8),
        timeseries("Produce and fetch latency p99", "99th percentile of the total request time.",
                   [target(f"max by (broker, request) (kafka_network_requestmetrics_totaltimems{{{selector}, "
                           f"request=~\"Produce|FetchConsumer|FetchFollower\", quantile=\"0.99\"}})",
                           "{{request}} {{broker}}")], unit="ms", width=8),
        timeseries("Request handler idle", "Share of time the request handler threads were idle; below 30% the "
                   "broker is saturated.",
                   [target(f"max by (broker) (kafka_server_kafkarequesthandlerpool_requesthandleravgidlepercent_total"
                           f"{{{selector}}})", "broker {{broker}}")], unit="percentunit", width=8),
        timeseries("Network processor idle", "Share of time the network threads were idle.",
                   [target(f"max by (broker) (kafka_network_socketserver_networkprocessoravgidlepercent{{{selector}}})",
                           "broker {{broker}}")], unit="percentunit", width=8),
        timeseries("Request queue", "Requests waiting for a handler thread.",
                   [target(f"max by (broker) (kafka_network_requestchannel_requestqueuesize{{{selector}}})",
                           "broker {{broker}}")], width=8),
        timeseries("JVM heap used", "Heap in use per broker.",
                   [target(f"max by (broker) (jvm_memory_bytes_used{{{selector}, area=\"heap\"}})",
                           "broker {{broker}}")], unit="bytes", width=8),
        timeseries("GC time", "Seconds per second the broker's JVM spent in garbage collection.",
                   [target(f"sum by (broker) (rate(jvm_gc_collection_seconds_sum{{{selector}}}[{RATE}]))",
                           "broker {{broker}}")], unit="percentunit", width=8),
    ]
    return dashboard("kafka-brokers", "Kafka / Brokers",
                     "Per broker: liveness, log dirs, partitions led, leader changes, ISR churn and JMX internals.",
                     [env_variable(), broker_variable(), topic_variable()], panels)


def clients_probe():
    probe = f"{ENV}, {BROKER}"
    clients = f"{ENV}, {CLIENT}"
    client_broker = f"{ENV}, {CLIENT}, {BROKER}"

    def quantiles(metric, what):
        return [target(f"histogram_quantile({q}, sum by (broker, le) (rate({metric}_bucket{{{probe}}}[{RATE}])))",
                       f"p{label} broker {{{{broker}}}}", ref)
                for q, label, ref in ((0.5, "50", "A"), (0.99, "99", "B"))]

    panels = [
        row("End-to-end probe"),
        stat("Probe through broker", "UP while a probe message produced through this broker was acknowledged and "
             "consumed back within two probe intervals.",
             [target(f"max by (broker) (kafka_probe_up{{{probe}}})", "broker {{broker}}")], mappings=UP_DOWN,
             steps=thresholds("red", (1, "green")), width=12),
        stat("Since last successful probe", "Seconds since a probe message through the broker was consumed back.",
             [target(f"time() - max by (broker) (kafka_probe_last_success_timestamp_seconds{{{probe}}})",
                     "broker {{broker}}")], unit="s", steps=thresholds("green", (5, "orange"), (30, "red")),
             decimals=1, width=12),
        timeseries("Produce latency", "Time from producing a probe message to its acknowledgement (acks=all).",
                   quantiles("kafka_probe_produce_latency_seconds", "produce"), unit="s", width=8),
        timeseries("End-to-end latency", "Time from producing a probe message to consuming it.",
                   quantiles("kafka_probe_end_to_end_latency_seconds", "end-to-end"), unit="s", width=8),
        timeseries("Commit latency", "Time to commit the probe consumer's offsets; broker is the group coordinator.",
                   quantiles("kafka_probe_commit_latency_seconds", "commit"), unit="s", width=8),
        heatmap("End-to-end latency distribution", "Probe messages per latency bucket, all selected brokers.",
                f"sum by (le) (increase(kafka_probe_end_to_end_latency_seconds_bucket{{{probe}}}[{RATE}]))"),
        timeseries("Probe messages", "Probe messages acknowledged and consumed back per second.",
                   [target(f"sum by (broker) (rate(kafka_probe_messages_sent_total{{{probe}}}[{RATE}]))",
                           "sent {{broker}}", "A"),
                    target(f"sum by (broker) (rate(kafka_probe_messages_received_total{{{probe}}}[{RATE}]))",
                           "received {{broker}}", "B")], unit="short"),
        timeseries("Probe failures", "Probe errors by stage, and messages lost, duplicated or out of order, per "
                   "interval.",
                   [target(f"sum by (broker, stage) (increase(kafka_probe_errors_total{{{probe}}}[{RATE}]))",
                           "{{stage}} errors {{broker}}", "A"),
                    target(f"sum by (broker) (increase(kafka_probe_messages_lost_total{{{probe}}}[{RATE}]))",
                           "lost {{broker}}", "B"),
                    target(f"sum by (broker) (increase(kafka_probe_messages_duplicated_total{{{probe}}}[{RATE}]))",
                           "duplicated {{broker}}", "C"),
                    target(f"sum by (broker) (increase(kafka_probe_messages_out_of_order_total{{{probe}}}[{RATE}]))",
                           "out of order {{broker}}", "D")], width=24),
        row("Clients (librdkafka statistics)"),
        table("Clients", "Every librdkafka client reporting statistics: the exporter's probe and the workload.",
              [("Requests/s", f"sum by (client_id, client_type) (rate(kafka_client_requests_sent_total{{{clients}}}"
                              f"[{RATE}]))", "reqps"),
               ("Messages sent/s", f"sum by (client_id, client_type) (rate(kafka_client_messages_sent_total"
                                   f"{{{clients}}}[{RATE}]))", "short"),
               ("Messages received/s", f"sum by (client_id, client_type) (rate(kafka_client_messages_received_total"
                                       f"{{{clients}}}[{RATE}]))", "short"),
               ("Queued messages", f"max by (client_id, client_type) (kafka_client_queue_messages{{{clients}}})",
                "short"),
               ("Brokers connected", f"sum by (client_id, client_type) (kafka_client_broker_up{{{clients}}})", None)],
              join_on=("client_id", "client_type"), height=7),
        timeseries("Messages sent per client", "Messages the producers transmitted per second.",
                   [target(f"sum by (client_id) (rate(kafka_client_messages_sent_total{{{clients}}}[{RATE}]))",
                           "{{client_id}}")], width=8),
        timeseries("Messages received per client", "Messages the consumers received per second.",
                   [target(f"sum by (client_id) (rate(kafka_client_messages_received_total{{{clients}}}[{RATE}]))",
                           "{{client_id}}")], width=8),
        timeseries("Bytes sent and received per client", "Message bytes per second (received negative).",
                   [target(f"sum by (client_id) (rate(kafka_client_message_bytes_sent_total{{{clients}}}[{RATE}]))",
                           "sent {{client_id}}", "A"),
                    target(f"-sum by (client_id) (rate(kafka_client_message_bytes_received_total{{{clients}}}"
                           f"[{RATE}]))", "received {{client_id}}", "B")], unit="Bps", min_zero=False, width=8),
        timeseries("Broker round-trip time p99", "Round-trip time of the clients' requests to each broker, 99th "
                   "percentile of librdkafka's last statistics window.",
                   [target(f"max by (client_id, broker) (kafka_client_broker_rtt_seconds{{{client_broker}, "
                           f"quantile=\"0.99\"}})", "{{client_id}} → {{broker}}")], unit="s", width=8),
        timeseries("Producer queue latency p99", "Time messages waited in the producer's queue before being sent "
                   "to the broker (librdkafka int_latency).",
                   [target(f"max by (client_id, broker) (kafka_client_broker_internal_latency_seconds"
                           f"{{{client_broker}, client_type=\"producer\", quantile=\"0.99\"}})",
                           "{{client_id}} → {{broker}}")], unit="s", width=8),
        timeseries("Throttle time p99", "Time brokers throttled the clients (quotas); 0 for a connected client "
                   "that was not throttled in librdkafka's last statistics window.",
                   [target(f"max by (client_id, broker) (kafka_client_broker_throttle_seconds{{{client_broker}, "
                           f"quantile=\"0.99\"}}) or 0 * max by (client_id, broker) (kafka_client_broker_up"
                           f"{{{client_broker}}})", "{{client_id}} → {{broker}}")], unit="s", width=8),
        timeseries("Client errors", "Request and response errors and timeouts towards the brokers, per interval.",
                   [target(f"sum by (client_id) (increase(kafka_client_broker_request_errors_total{{{client_broker}}}"
                           f"[{RATE}]))", "request errors {{client_id}}", "A"),
                    target(f"sum by (client_id) (increase(kafka_client_broker_response_errors_total"
                           f"{{{client_broker}}}[{RATE}]))", "response errors {{client_id}}", "B"),
                    target(f"sum by (client_id) (increase(kafka_client_broker_request_timeouts_total"
                           f"{{{client_broker}}}[{RATE}]))", "timeouts {{client_id}}", "C")], width=8),
        timeseries("Connections", "Connects and disconnects to the brokers, per interval.",
                   [target(f"sum by (client_id) (increase(kafka_client_broker_connects_total{{{client_broker}}}"
                           f"[{RATE}]))", "connects {{client_id}}", "A"),
                    target(f"sum by (client_id) (increase(kafka_client_broker_disconnects_total{{{client_broker}}}"
                           f"[{RATE}]))", "disconnects {{client_id}}", "B")], width=8),
        timeseries("Requests in flight", "Requests sent and waiting for a response, per broker.",
                   [target(f"sum by (client_id, broker) (kafka_client_broker_requests_in_flight{{{client_broker}}})",
                           "{{client_id}} → {{broker}}")], width=8),
        timeseries("Producer batch size p50", "Median size of the producers' batches per topic.",
                   [target(f"max by (client_id, topic) (kafka_client_topic_batch_size_bytes{{{clients}, "
                           f"quantile=\"0.5\"}})", "{{client_id}} {{topic}}")], unit="bytes", width=8),
        timeseries("Messages per batch p50", "Median number of messages in the producers' batches per topic.",
                   [target(f"max by (client_id, topic) (kafka_client_topic_batch_count_messages{{{clients}, "
                           f"quantile=\"0.5\"}})", "{{client_id}} {{topic}}")], width=8),
        timeseries("Consumer lag as the client sees it", "Messages between the high watermark and the consumer's "
                   "position, per topic.",
                   [target(f"sum by (client_id, topic) (kafka_client_partition_consumer_lag{{{clients}}})",
                           "{{client_id}} {{topic}}")], width=8),
        table("Consumer group membership (client view)", "The consumers' group handler states, rebalances and "
              "assignment size.",
              [("State", f"max by (client_id, state, join_state) (kafka_client_group_state{{{clients}}})", None),
               ("Assigned partitions", f"max by (client_id) (kafka_client_group_assignment_partitions"
                                       f"{{{clients}}})", None),
               ("Rebalances", f"max by (client_id) (kafka_client_group_rebalances_total{{{clients}}})", None)],
              join_on=("client_id", "state", "join_state"), width=12, height=7),
        table("Idempotent and transactional producers", "librdkafka's idempotence and transaction states of each "
              "producer.",
              [("State", f"max by (client_id, idemp_state, txn_state) (kafka_client_transaction_state"
                         f"{{{clients}}})", None)],
              join_on=("client_id", "idemp_state", "txn_state"), width=12, height=7, hidden=("State",)),
        row("Courier workload"),
        timeseries("Courier production", "Positions the courier producers sent, had delivered and failed, per "
                   "second.",
                   [target(f"sum by (instance_role) (rate(courier_messages_sent_total{{{ENV}}}[{RATE}]))",
                           "sent {{instance_role}}", "A"),
                    target(f"sum by (instance_role) (rate(courier_messages_delivered_total{{{ENV}}}[{RATE}]))",
                           "delivered {{instance_role}}", "B"),
                    target(f"sum by (instance_role) (rate(courier_messages_failed_total{{{ENV}}}[{RATE}]))",
                           "failed {{instance_role}}", "C")], width=12),
        timeseries("Courier consumption", "Positions the courier consumer group consumed per second, and the "
                   "duplicates it detected.",
                   [target(f"sum by (instance_role) (rate(courier_messages_consumed_total{{{ENV}}}[{RATE}]))",
                           "consumed {{instance_role}}", "A"),
                    target(f"sum by (instance_role) (rate(courier_duplicates_total{{{ENV}}}[{RATE}]))",
                           "duplicates {{instance_role}}", "B")], width=12),
    ]
    return dashboard("kafka-clients-probe", "Kafka / Clients and probe",
                     "The exporter's end-to-end probe per broker, and the librdkafka statistics of every client.",
                     [env_variable(), broker_variable(), client_variable()], panels)


CONNECTOR = 'connector=~"$connector"'


def connector_variable():
    return variable("connector", "Connector", f"label_values(kafka_connect_connector_info{{{ENV}}}, connector)",
                    multi=True, include_all=True)


def connect_mirroring():
    connectors = f"{ENV}, {CONNECTOR}"
    platform_collectors = 'collector=~"connect|mirrors|schema_registry"'
    task_states = ("RUNNING", "PAUSED", "FAILED", "UNASSIGNED", "RESTARTING")
    global_level = stat("Global compatibility", "The registry's global compatibility level: a new schema version "
                        "must be compatible this way with the existing ones, unless its subject sets its own.",
                        [target(f"max by (level) (kafka_schema_registry_global_compatibility{{{ENV}}})",
                                "{{level}}")], steps=thresholds("blue"), color_mode="value")
    global_level["options"]["textMode"] = "name"
    panels = [
        row("Kafka Connect"),
        stat("Connect up", "1 while the Connect REST API (connect.urls) answers the exporter.",
             [target(f"max(kafka_connect_up{{{ENV}}})")], mappings=UP_DOWN, steps=thresholds("red", (1, "green"))),
        stat("Connectors", "Connectors of the Connect group.",
             [target(f"max(kafka_connect_connectors{{{ENV}}})")]),
        stat("Connectors not running", "Selected connectors in another state than RUNNING (PAUSED and STOPPED "
             "included: someone chose them).",
             [target(f"sum(kafka_connect_connector_state{{{connectors}, state!=\"RUNNING\"}})")],
             steps=thresholds("green", (1, "orange"))),
        stat("Failed tasks", "Tasks of the selected connectors in state FAILED: they copy nothing until someone "
             "restarts them.",
             [target(f"sum(kafka_connect_connector_tasks{{{connectors}, state=\"FAILED\"}})")], steps=OK_RED),
        stat("Workers' JMX down", "Connect workers of connect.jolokia_urls whose Jolokia agent did not answer the "
             "last cycle.",
             [target(f"sum(kafka_sidecar_jmx_up{{{ENV}, connect_worker!=\"\"}} == bool 0)")], steps=OK_RED),
        stat("Exporter collectors down", "The exporter's Connect, MirrorMaker 2 and Schema Registry collectors "
             "that failed the last cycle (kafka_sidecar_collector_error_info says why).",
             [target(f"sum(kafka_sidecar_collector_up{{{ENV}, {platform_collectors}}} == bool 0)")], steps=OK_RED),
        timeseries("Connectors by state", "Selected connectors in each state, from GET /connectors?expand=status.",
                   [target(f"sum by (state) (kafka_connect_connector_state{{{connectors}}})", "{{state}}")],
                   width=8, stack=True),
        timeseries("Failed tasks", "FAILED tasks per connector, and those whose status carries the failure's stack "
                   "trace (GET /connectors/NAME/status shows it).",
                   [target(f"sum by (connector) (kafka_connect_task_state{{{connectors}, state=\"FAILED\"}})",
                           "failed {{connector}}", "A"),
                    target(f"sum by (connector) (kafka_connect_task_trace_present{{{connectors}}})",
                           "with trace {{connector}}", "B")], width=8),
        timeseries("Task restarts", "Restarts the exporter saw per task in 5 minutes (RUNNING again after FAILED or "
                   "RESTARTING).",
                   [target(f"sum by (connector, task) (increase(kafka_connect_task_restarts_total{{{connectors}}}"
                           f"[5m]))", "{{connector}} / {{task}}")], width=8),
        table("Connectors", "State, worker, type and class of each connector, and its tasks; Trace is 1 when its "
              "status carries a failure's stack trace.",
              [("State", f"max by (connector, state, worker) (kafka_connect_connector_state{{{connectors}}} == 1)",
                None),
               ("Info", f"max by (connector, type, class) (kafka_connect_connector_info{{{connectors}}})", None),
               ("Tasks", f"sum by (connector) (kafka_connect_connector_tasks{{{connectors}}})", None),
               ("Trace", f"max by (connector) (kafka_connect_connector_trace_present{{{connectors}}})", None)],
              join_on=("connector", "state", "worker", "type", "class"), hidden=("State", "Info"), width=12,
              height=8),
        table("Tasks by state per connector", "The connector's tasks in each state (kafka_connect_connector_tasks).",
              [(state.capitalize(), f"sum by (connector) (kafka_connect_connector_tasks{{{connectors}, "
                                    f"state=\"{state}\"}})", None) for state in task_states],
              join_on=("connector",), width=12, height=8),
        table("Tasks", "Every task of the selected connectors: its state, the worker running it, whether its "
              "status carries a stack trace, and the restarts the exporter saw.",
              [("State", f"max by (connector, task, state, worker) (kafka_connect_task_state{{{connectors}}} == 1)",
                None),
               ("Trace", f"max by (connector, task) (kafka_connect_task_trace_present{{{connectors}}})", None),
               ("Restarts", f"max by (connector, task) (kafka_connect_task_restarts_total{{{connectors}}})", None)],
              join_on=("connector", "task", "state", "worker"), hidden=("State",), height=8),
        row("Connect workers (JMX)"),
        timeseries("Connectors and tasks per worker", "Connectors and tasks each worker runs; after a worker leaves, "
                   "the others take its share.",
                   [target(f"max by (connect_worker) (kafka_connect_worker_connectors{{{ENV}}})",
                           "connectors {{connect_worker}}", "A"),
                    target(f"max by (connect_worker) (kafka_connect_worker_tasks{{{ENV}}})",
                           "tasks {{connect_worker}}", "B")], width=8),
        timeseries("Rebalances", "Rebalances each worker completed in 5 minutes, and 1 while it is rebalancing.",
                   [target(f"sum by (connect_worker) (increase(kafka_connect_worker_rebalance_completed_rebalances_total"
                           f"{{{ENV}}}[5m]))", "completed {{connect_worker}}", "A"),
                    target(f"max by (connect_worker) (kafka_connect_worker_rebalance_rebalancing{{{ENV}}})",
                           "rebalancing {{connect_worker}}", "B")], width=8),
        timeseries("Record errors and dead letter queue", "Records the selected connectors' tasks failed to process "
                   "(converters, transforms, put), and records they sent to a dead letter queue, per second.",
                   [target(f"sum by (connector) (rate(kafka_connect_task_error_record_errors_total{{{connectors}}}"
                           f"[{RATE}]))", "errors {{connector}}", "A"),
                    target(f"sum by (connector) (rate(kafka_connect_task_error_deadletterqueue_produce_requests_total"
                           f"{{{connectors}}}[{RATE}]))", "dead letter queue {{connector}}", "B")], width=8),
        timeseries("Source records polled and written", "Records the source tasks polled from their system and "
                   "wrote to Kafka, per second and connector.",
                   [target(f"sum by (connector) (rate(kafka_connect_source_task_source_record_poll_total"
                           f"{{{connectors}}}[{RATE}]))", "polled {{connector}}", "A"),
                    target(f"sum by (connector) (rate(kafka_connect_source_task_source_record_write_total"
                           f"{{{connectors}}}[{RATE}]))", "written {{connector}}", "B")], width=8),
        timeseries("Sink records read and sent", "Records the sink tasks read from Kafka and sent to their system "
                   "(after transforms), per second and connector.",
                   [target(f"sum by (connector) (rate(kafka_connect_sink_task_sink_record_read_total"
                           f"{{{connectors}}}[{RATE}]))", "read {{connector}}", "A"),
                    target(f"sum by (connector) (rate(kafka_connect_sink_task_sink_record_send_total"
                           f"{{{connectors}}}[{RATE}]))", "sent {{connector}}", "B")], width=8),
        timeseries("Sink connector consumer lag", "Records the sink connectors' consumer groups (connect-NAME) have "
                   "not committed yet, per group.",
                   [target(f"sum by (consumergroup) (kafka_consumergroup_lag{{{ENV}, "
                           f"consumergroup=~\"connect-$connector\"}})", "{{consumergroup}}")], width=8),
        row("MirrorMaker 2"),
        timeseries("Replication latency (max)", "How long after they were written to the source cluster records "
                   "reached the target, worst partition of each topic over Kafka's metrics window (recording rule "
                   "kafka:mirror_replication_latency_seconds:max; alert above 30 s).",
                   [target(f"max by (source, target, topic) (kafka:mirror_replication_latency_seconds:max{{{ENV}}})",
                           "{{source}} → {{target}} {{topic}}")], unit="s", width=8),
        timeseries("Record age (max)", "Age of the records when MirrorMaker 2 copied them, worst partition of each "
                   "topic (recording rule kafka:mirror_record_age_seconds:max).",
                   [target(f"max by (source, target, topic) (kafka:mirror_record_age_seconds:max{{{ENV}}})",
                           "{{source}} → {{target}} {{topic}}")], unit="s", width=8),
        timeseries("Mirror lag per topic", "Records of the source topic not copied yet: the source's log end minus "
                   "the offset the source connector copied (alert above 1000).",
                   [target(f"sum by (source_cluster, topic) (kafka_mirror_topic_lag{{{ENV}}})",
                           "{{source_cluster}} {{topic}}")], width=8),
        timeseries("Records replicated", "Records the source connector copied per second and topic.",
                   [target(f"sum by (source, target, topic) (rate(kafka_connect_mirror_source_connector_record_count_"
                           f"total{{{ENV}}}[{RATE}]))", "{{source}} → {{target}} {{topic}}")], width=8),
        timeseries("Heartbeat age", "Age of the newest record in the heartbeats topic the heartbeat connector writes "
                   "to (one every emit.heartbeats.interval.seconds; alert above 60 s).",
                   [target(f"max by (connector, source_cluster, target_cluster) (kafka_mirror_heartbeat_age_seconds"
                           f"{{{ENV}}})", "{{source_cluster}} → {{target_cluster}}")], unit="s", width=8),
        timeseries("Checkpoint age", "Age of the newest checkpoint of the source's consumer groups (a checkpoint is "
                   "written when a group's committed offset moves; alert above 5 minutes).",
                   [target(f"max by (connector, source_cluster, target_cluster) (kafka_mirror_checkpoint_age_seconds"
                           f"{{{ENV}}})", "{{source_cluster}} → {{target_cluster}}")], unit="s", width=8),
        timeseries("Bytes replicated", "Bytes the source connector copies per second and topic, over Kafka's metrics "
                   "window.",
                   [target(f"sum by (source, target, topic) (kafka_connect_mirror_source_connector_byte_rate"
                           f"{{{ENV}}})", "{{source}} → {{target}} {{topic}}")], unit="Bps", width=24, height=6),
        row("Schema Registry"),
        stat("Schema Registry up", "1 while the registry (schema_registry.url) answers the exporter.",
             [target(f"max(kafka_schema_registry_up{{{ENV}}})")], mappings=UP_DOWN,
             steps=thresholds("red", (1, "green"))),
        stat("Subjects", "Subjects registered (not deleted).",
             [target(f"max(kafka_schema_registry_subjects{{{ENV}}})")]),
        global_level,
        stat("Refused registrations", "Schema versions the registry refused as incompatible (HTTP 409) over the "
             "dashboard's time range.",
             [target(f"sum(increase(kafka_schema_registry_refused_registrations_total{{{ENV}}}[$__range]))")],
             steps=thresholds("green", (1, "orange")), width=12),
        timeseries("Versions per subject", "Schema versions of each subject.",
                   [target(f"max by (subject) (kafka_schema_registry_subject_versions{{{ENV}}})", "{{subject}}")],
                   width=8),
        timeseries("Refused registrations per interval", "Registrations refused as incompatible (HTTP 409) in 5 "
                   "minutes: a producer tried a schema its subject's compatibility level forbids.",
                   [target(f"sum(increase(kafka_schema_registry_refused_registrations_total{{{ENV}}}[5m]))",
                           "refused")], width=8),
        table("Subjects", "Versions, latest version and compatibility level of each subject (its own, else the "
              "global one).",
              [("Compatibility", f"max by (subject, level) (kafka_schema_registry_subject_compatibility{{{ENV}}})",
                None),
               ("Versions", f"max by (subject) (kafka_schema_registry_subject_versions{{{ENV}}})", None),
               ("Latest version", f"max by (subject) (kafka_schema_registry_subject_latest_version{{{ENV}}})", None)],
              join_on=("subject", "level"), hidden=("Compatibility",), width=8, height=8),
    ]
    return dashboard("kafka-connect-mirroring", "Kafka / Connect and mirroring",
                     "Kafka Connect connectors, tasks and workers, MirrorMaker 2 replication, and the Schema Registry.",
                     [env_variable(), connector_variable()], panels)


DASHBOARDS = {
    "kafka-cluster-overview.json": cluster_overview,
    "kafka-topics.json": topics,
    "kafka-consumer-groups.json": consumer_groups,
    "kafka-brokers.json": brokers,
    "kafka-clients-probe.json": clients_probe,
    "kafka-connect-mirroring.json": connect_mirroring,
}


def main():
    folder = pathlib.Path(__file__).resolve().parent / "dashboards"
    check = "--check" in sys.argv[1:]
    stale = []
    for name, build in DASHBOARDS.items():
        text = json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
        path = folder / name
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            folder.mkdir(exist_ok=True)
            path.write_text(text)
    if stale:
        print(f"grafana/dashboards out of date with generate_dashboards.py: {', '.join(stale)}; "
              "run python3 grafana/generate_dashboards.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
