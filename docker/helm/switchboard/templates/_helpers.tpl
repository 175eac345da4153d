{{- define "switchboard.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "switchboard.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "switchboard.labels" -}}
{{ include "switchboard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Bitnami's fullname: the release name when it already names the chart, else release-chart. */}}
{{- define "switchboard.bitnamiName" -}}
{{- $release := index . 0 -}}
{{- $chart := index . 1 -}}
{{- if contains $chart $release -}}
{{- $release -}}
{{- else -}}
{{- printf "%s-%s" $release $chart -}}
{{- end -}}
{{- end -}}

{{- define "switchboard.redisName" -}}
{{- if eq .Values.redis.mode "cluster" -}}
{{- include "switchboard.bitnamiName" (list .Values.redis.cluster.release "redis-cluster") -}}
{{- else -}}
{{- include "switchboard.bitnamiName" (list .Values.redis.release "redis") -}}
{{- end -}}
{{- end -}}

{{- define "switchboard.passwordSecret" -}}
{{- default (include "switchboard.redisName" .) .Values.redis.existingSecret -}}
{{- end -}}

{{/* host:port of every Sentinel, or of every cluster node, as the Bitnami charts name pods. */}}
{{- define "switchboard.redisHosts" -}}
{{- $name := include "switchboard.redisName" . -}}
{{- $hosts := list -}}
{{- if eq .Values.redis.mode "cluster" -}}
{{- range $i := until (int .Values.redis.cluster.nodes) -}}
{{- $hosts = append $hosts (printf "%s-%d.%s-headless:%d" $name $i $name (int $.Values.redis.cluster.port)) -}}
{{- end -}}
{{- else -}}
{{- range $i := until (int .Values.redis.sentinel.nodes) -}}
{{- $hosts = append $hosts (printf "%s-node-%d.%s-headless:%d" $name $i $name (int $.Values.redis.sentinel.port)) -}}
{{- end -}}
{{- end -}}
{{- join "," $hosts -}}
{{- end -}}
