{{/*
An image reference from {registry, repository, tag}.
Usage: {{ include "common.image" .Values.image }}
*/}}
{{- define "common.image" -}}
{{- printf "%s/%s:%s" .registry .repository .tag }}
{{- end }}
