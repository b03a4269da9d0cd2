{{/* Names and labels. */}}
{{- define "kse.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kse.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kse.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kse.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: exporter
{{- end -}}

{{- define "kse.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kse.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kse.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Checks every template runs first. */}}
{{- define "kse.validate" -}}
{{- if not (has .Values.mode (list "cluster" "sidecar")) -}}
{{- fail (printf "mode must be cluster or sidecar, not %q" (toString .Values.mode)) -}}
{{- end -}}
{{- if and .Values.example.enabled (ne .Values.mode "sidecar") -}}
{{- fail "example.enabled renders a broker StatefulSet with the sidecar: it needs mode: sidecar" -}}
{{- end -}}
{{- $c := .Values.config | default dict -}}
{{- range $section := list "kafka" "serve" -}}
{{- if hasKey $c $section -}}
{{- fail (printf "config.%s is set by the chart: use the top-level kafka: and serve: values" $section) -}}
{{- end -}}
{{- end -}}
{{- if hasKey (get $c "jmx" | default dict) "password" -}}
{{- fail "config.jmx.password: a secret is never a value; mount a Secret (extraVolumes) and set config.jmx.password_file" -}}
{{- end -}}
{{- if and (ne .Values.kafka.sasl.mechanism "none") (not .Values.kafka.sasl.username) -}}
{{- fail "kafka.sasl.mechanism needs kafka.sasl.username" -}}
{{- end -}}
{{- if and (ne .Values.kafka.sasl.mechanism "none") (not .Values.kafka.sasl.passwordSecret.name) -}}
{{- fail "kafka.sasl.mechanism needs kafka.sasl.passwordSecret.name (a Secret holding the password)" -}}
{{- end -}}
{{- end -}}

{{/* Where secrets and the configuration are mounted in the container. */}}
{{- define "kse.configDir" -}}/etc/kse/config{{- end -}}
{{- define "kse.secretsDir" -}}/etc/kse/secrets{{- end -}}

{{/* The exporter's configuration file (docs/configuration.md). Secrets only as *_file paths. */}}
{{- define "kse.exporterConfig" -}}
{{- $secrets := include "kse.secretsDir" . -}}
{{- $tls := dict "enabled" .Values.kafka.tls.enabled "verify_hostname" .Values.kafka.tls.verifyHostname -}}
{{- if .Values.kafka.tls.caSecret.name -}}
{{- $_ := set $tls "ca_file" (printf "%s/kafka-ca/%s" $secrets .Values.kafka.tls.caSecret.key) -}}
{{- end -}}
{{- if .Values.kafka.tls.clientCertSecret.name -}}
{{- $_ := set $tls "cert_file" (printf "%s/kafka-client/%s" $secrets .Values.kafka.tls.clientCertSecret.certKey) -}}
{{- $_ := set $tls "key_file" (printf "%s/kafka-client/%s" $secrets .Values.kafka.tls.clientCertSecret.keyKey) -}}
{{- end -}}
{{- $sasl := dict "mechanism" .Values.kafka.sasl.mechanism -}}
{{- if ne .Values.kafka.sasl.mechanism "none" -}}
{{- $_ := set $sasl "username" .Values.kafka.sasl.username -}}
{{- $_ := set $sasl "password_file" (printf "%s/kafka-sasl/%s" $secrets .Values.kafka.sasl.passwordSecret.key) -}}
{{- end -}}
{{- $kafka := dict "bootstrap_servers" .Values.kafka.bootstrapServers "client_id" .Values.kafka.clientId "tls" $tls "sasl" $sasl -}}
{{- $serve := dict "listen_address" "0.0.0.0" "cluster_port" (int .Values.serve.clusterPort) "broker_port_base" (int .Values.serve.brokerPortBase) -}}
{{- if .Values.serve.webConfigSecret.name -}}
{{- $_ := set $serve "web_config_file" (printf "%s/web/%s" $secrets .Values.serve.webConfigSecret.key) -}}
{{- end -}}
{{- $config := deepCopy (.Values.config | default dict) -}}
{{- $_ := set $config "kafka" $kafka -}}
{{- $_ := set $config "serve" $serve -}}
{{- toYaml $config -}}
{{- end -}}

{{/* Secret volumes: mode 0440, which the exporter requires of secret files (read through fsGroup). */}}
{{- define "kse.secretVolumes" -}}
{{- if .Values.kafka.sasl.passwordSecret.name }}
- name: kse-kafka-sasl
  secret:
    secretName: {{ .Values.kafka.sasl.passwordSecret.name }}
    defaultMode: 0440
    items:
      - key: {{ .Values.kafka.sasl.passwordSecret.key }}
        path: {{ .Values.kafka.sasl.passwordSecret.key }}
{{- end }}
{{- if .Values.kafka.tls.caSecret.name }}
- name: kse-kafka-ca
  secret:
    secretName: {{ .Values.kafka.tls.caSecret.name }}
    defaultMode: 0440
    items:
      - key: {{ .Values.kafka.tls.caSecret.key }}
        path: {{ .Values.kafka.tls.caSecret.key }}
{{- end }}
{{- if .Values.kafka.tls.clientCertSecret.name }}
- name: kse-kafka-client
  secret:
    secretName: {{ .Values.kafka.tls.clientCertSecret.name }}
    defaultMode: 0440
    items:
      - key: {{ .Values.kafka.tls.clientCertSecret.certKey }}
        path: {{ .Values.kafka.tls.clientCertSecret.certKey }}
      - key: {{ .Values.kafka.tls.clientCertSecret.keyKey }}
        path: {{ .Values.kafka.tls.clientCertSecret.keyKey }}
{{- end }}
{{- if .Values.serve.webConfigSecret.name }}
- name: kse-web
  secret:
    secretName: {{ .Values.serve.webConfigSecret.name }}
    defaultMode: 0440
{{- end }}
{{- end -}}

{{- define "kse.volumes" -}}
- name: kse-config
  configMap:
    name: {{ include "kse.fullname" . }}
- name: kse-tmp
  emptyDir:
    medium: Memory
    sizeLimit: 16Mi
{{- include "kse.secretVolumes" . }}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The exporter container, the same in the Deployment and in a broker pod. */}}
{{- define "kse.container" -}}
{{- $sidecar := eq .Values.mode "sidecar" -}}
{{- $probePort := ternary (int .Values.serve.brokerPortBase) (int .Values.serve.clusterPort) $sidecar -}}
{{- $configFile := printf "%s/exporter.yml" (include "kse.configDir" .) -}}
name: kafka-sidecar-exporter
image: {{ include "kse.image" . | quote }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
{{- if $sidecar }}
# The broker id is the pod's ordinal (POD_NAME, from the downward API) plus the offset,
# like Kafka's node.id: the sidecar serves its own broker on the broker port, and the
# cluster port when its broker is the lowest live id whose sidecar answers (fail-over).
command:
  - /bin/sh
  - -c
  - exec kafka-sidecar-exporter --config {{ $configFile }} --broker-id "$(( ${POD_NAME##*-} + {{ int .Values.sidecar.brokerIdOffset }} ))"
{{- else }}
args:
  - --config
  - {{ $configFile }}
{{- end }}
{{- if or $sidecar .Values.extraEnv }}
env:
{{- end }}
{{- if $sidecar }}
  - name: POD_NAME
    valueFrom:
      fieldRef:
        fieldPath: metadata.name
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . | indent 2 }}
{{- end }}
ports:
{{- if $sidecar }}
  - name: kse-broker
    containerPort: {{ int .Values.serve.brokerPortBase }}
    protocol: TCP
  - name: kse-cluster
    containerPort: {{ int .Values.serve.clusterPort }}
    protocol: TCP
{{- else }}
  - name: cluster
    containerPort: {{ int .Values.serve.clusterPort }}
    protocol: TCP
{{- range .Values.serve.brokerIds }}
  - name: broker-{{ . }}
    containerPort: {{ add (int $.Values.serve.brokerPortBase) (int .) -1 }}
    protocol: TCP
{{- end }}
{{- end }}
{{- if .Values.serve.webConfigSecret.name }}
# The web configuration's credentials apply to /healthz and /ready too, and kubelet could
# only send them from the pod spec: the probes check that the port accepts connections.
livenessProbe:
{{- $live := omit .Values.livenessProbe "httpGet" }}
{{- $_ := set $live "tcpSocket" (dict "port" $probePort) }}
{{ toYaml $live | indent 2 }}
readinessProbe:
{{- $ready := omit .Values.readinessProbe "httpGet" }}
{{- $_ := set $ready "tcpSocket" (dict "port" $probePort) }}
{{ toYaml $ready | indent 2 }}
{{- else }}
livenessProbe:
{{- $live := deepCopy .Values.livenessProbe }}
{{- $_ := set $live.httpGet "port" $probePort }}
{{ toYaml $live | indent 2 }}
readinessProbe:
{{- $ready := deepCopy .Values.readinessProbe }}
{{- $_ := set $ready.httpGet "port" $probePort }}
{{ toYaml $ready | indent 2 }}
{{- end }}
resources:
{{ toYaml .Values.resources | indent 2 }}
securityContext:
{{ toYaml .Values.securityContext | indent 2 }}
volumeMounts:
  - name: kse-config
    mountPath: {{ include "kse.configDir" . }}
    readOnly: true
  - name: kse-tmp
    mountPath: /tmp
{{- if .Values.kafka.sasl.passwordSecret.name }}
  - name: kse-kafka-sasl
    mountPath: {{ include "kse.secretsDir" . }}/kafka-sasl
    readOnly: true
{{- end }}
{{- if .Values.kafka.tls.caSecret.name }}
  - name: kse-kafka-ca
    mountPath: {{ include "kse.secretsDir" . }}/kafka-ca
    readOnly: true
{{- end }}
{{- if .Values.kafka.tls.clientCertSecret.name }}
  - name: kse-kafka-client
    mountPath: {{ include "kse.secretsDir" . }}/kafka-client
    readOnly: true
{{- end }}
{{- if .Values.serve.webConfigSecret.name }}
  - name: kse-web
    mountPath: {{ include "kse.secretsDir" . }}/web
    readOnly: true
{{- end }}
{{- with .Values.extraVolumeMounts }}
{{ toYaml . | indent 2 }}
{{- end }}
{{- end -}}

{{/* Relabelings every target gets: job and env, which the rules and dashboards expect. */}}
{{- define "kse.commonRelabelings" -}}
- targetLabel: job
  replacement: {{ .Values.monitor.job }}
  action: replace
{{- if .Values.monitor.env }}
- targetLabel: env
  replacement: {{ .Values.monitor.env | quote }}
  action: replace
{{- end }}
{{- end -}}

{{- define "kse.endpointAuth" -}}
scheme: {{ .Values.monitor.scheme }}
{{- with .Values.monitor.tlsConfig }}
tlsConfig:
{{ toYaml . | indent 2 }}
{{- end }}
{{- with .Values.monitor.basicAuth }}
basicAuth:
{{ toYaml . | indent 2 }}
{{- end }}
{{- end -}}
