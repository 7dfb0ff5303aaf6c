{{/* The chart's name, or nameOverride. */}}
{{- define "krest.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The objects' name: fullnameOverride, else the release name, with the chart's name unless it already holds it. */}}
{{- define "krest.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "krest.selectorLabels" -}}
app.kubernetes.io/name: {{ include "krest.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "krest.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "krest.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The KREST_* environment variable of a key: client.sasl.jaas.config -> KREST_CLIENT_SASL_JAAS_CONFIG. */}}
{{- define "krest.envName" -}}
{{- printf "KREST_%s" (. | upper | replace "." "_" | replace "-" "_") }}
{{- end }}

{{/* The properties file: config plus what the chart sets itself. */}}
{{- define "krest.properties" -}}
{{- $props := dict }}
{{- range $k, $v := .Values.config }}
{{- if not (kindIs "invalid" $v) }}
{{- $_ := set $props $k (toString $v) }}
{{- end }}
{{- end }}
{{- if not (hasKey $props "advertised.listeners") }}
{{- $_ := set $props "advertised.listeners" (printf "http://%s:%v" (include "krest.fullname" .) .Values.service.port) }}
{{- end }}
{{- $_ := set $props "consumer.forwarding" .Values.consumerForwarding.mode }}
{{- if .Values.basicAuth.enabled }}
{{- $_ := set $props "authentication.method" "BASIC" }}
{{- $_ := set $props "authentication.realm" .Values.basicAuth.realm }}
{{- $_ := set $props "authentication.roles" .Values.basicAuth.roles }}
{{- $_ := set $props "java.security.auth.login.config" "/etc/krest/jaas.conf" }}
{{- end }}
{{- range $k := keys $props | sortAlpha }}
{{- $v := get $props $k }}
{{- if ne $v "" }}
{{ $k }}={{ $v | replace "\\" "\\\\" | replace "\n" "\\n" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Refuses values that would render a deployment that cannot work. */}}
{{- define "krest.validate" -}}
{{- $several := or .Values.autoscaling.enabled (gt (int .Values.replicaCount) 1) }}
{{- if and $several (not (get .Values.config "bootstrap.servers")) }}
{{- fail "several replicas need config.bootstrap.servers: without it each pod runs its own embedded dev-mode Kafka" }}
{{- end }}
{{- if not (has .Values.consumerForwarding.mode (list "forward" "redirect" "off")) }}
{{- fail (printf "consumerForwarding.mode is %q: want forward, redirect or off" .Values.consumerForwarding.mode) }}
{{- end }}
{{- if and $several (ne .Values.consumerForwarding.mode "off") (not .Values.consumerForwarding.existingSecret) }}
{{- fail "several replicas need consumerForwarding.existingSecret, a Secret holding the secret they share (kubectl create secret generic krest-forwarding --from-literal=secret=\"$(openssl rand -base64 48)\"), or consumerForwarding.mode=off" }}
{{- end }}
{{- if and .Values.basicAuth.enabled (not .Values.basicAuth.existingSecret) }}
{{- fail "basicAuth.enabled needs basicAuth.existingSecret, the Secret holding the password file" }}
{{- end }}
{{- range .Values.secretEnv }}
{{- if not (and .key .secretName .secretKey) }}
{{- fail "each secretEnv entry needs key, secretName and secretKey" }}
{{- end }}
{{- end }}
{{- range .Values.secretFiles }}
{{- if not .secretName }}
{{- fail "each secretFiles entry needs secretName" }}
{{- end }}
{{- end }}
{{- end }}
