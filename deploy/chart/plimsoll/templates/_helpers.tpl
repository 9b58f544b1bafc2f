{{/* The chart name, or nameOverride. */}}
{{- define "plimsoll.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The prefix of every object name: fullnameOverride, else the release name, with the
chart name appended unless the release name holds it. Kept to 50 characters so that
the longest suffix (-scheduled-audit) still fits 63.
*/}}
{{- define "plimsoll.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 47 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 47 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 47 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "plimsoll.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object; `component` names the part (webhook, audit, certificates...). */}}
{{- define "plimsoll.labels" -}}
helm.sh/chart: {{ include "plimsoll.chart" .root }}
{{ include "plimsoll.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: plimsoll
{{- end -}}

{{/* The labels a selector of one component matches. */}}
{{- define "plimsoll.selectorLabels" -}}
app.kubernetes.io/name: {{ include "plimsoll.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The image: repository:tag, with @digest when one is given. */}}
{{- define "plimsoll.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The Secret that holds the serving certificate and key. */}}
{{- define "plimsoll.tlsSecretName" -}}
{{- if and (not .Values.certManager.enabled) .Values.tls.secretName -}}
{{- .Values.tls.secretName -}}
{{- else -}}
{{- printf "%s-tls" (include "plimsoll.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* The serving Certificate cert-manager injects the CA of. */}}
{{- define "plimsoll.servingCertificate" -}}
{{- printf "%s-serving" (include "plimsoll.fullname" .) -}}
{{- end -}}

{{/*
What the webhook configurations need in common: the CA annotation (cert-manager) or
the caBundle, checked here so that a chart without either never renders.
*/}}
{{- define "plimsoll.caAnnotation" -}}
{{- if .Values.certManager.enabled -}}
cert-manager.io/inject-ca-from: {{ printf "%s/%s" .Release.Namespace (include "plimsoll.servingCertificate" .) }}
{{- end -}}
{{- end -}}

{{- define "plimsoll.clientConfig" -}}
service:
  name: {{ include "plimsoll.fullname" .root }}
  namespace: {{ .root.Release.Namespace }}
  path: {{ .path }}
  port: 443
{{- if not .root.Values.certManager.enabled }}
caBundle: {{ required "certManager.enabled is false: set tls.caBundle to the base64 PEM of the CA that signed the serving certificate (deploy/gen-certs.sh prints it)" .root.Values.tls.caBundle }}
{{- end }}
{{- end -}}

{{/*
The namespaces the webhook never sees: kube-system, the release's own, those of
webhook.excludeNamespaces, and those labelled plimsoll.dev/mode=off.
*/}}
{{- define "plimsoll.namespaceSelector" -}}
matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values:
      {{- $ns := concat (list "kube-system" .Release.Namespace) .Values.webhook.excludeNamespaces | uniq }}
      {{- range $ns }}
      - {{ . | quote }}
      {{- end }}
  - key: plimsoll.dev/mode
    operator: NotIn
    values: ["off"]
{{- end -}}

{{/* The egress every pod of the release needs: the API server, and the cluster DNS. */}}
{{- define "plimsoll.egressToApiServerAndDns" -}}
# the API server: its address is not knowable in a chart (networkPolicy.apiServerCIDRs
# narrows it when you know it)
- ports:
    {{- range .Values.networkPolicy.apiServerPorts }}
    - protocol: TCP
      port: {{ . }}
    {{- end }}
  {{- with .Values.networkPolicy.apiServerCIDRs }}
  to:
    {{- range . }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
  {{- end }}
# the cluster DNS
- to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: kube-system
      podSelector:
        matchLabels:
          k8s-app: kube-dns
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
{{- end -}}

{{/* The container security context of every container: the restricted Pod Security level. */}}
{{- define "plimsoll.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end -}}

{{- define "plimsoll.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.runAsUser }}
runAsGroup: {{ .Values.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The configuration file: values' config, with the serve: mapping of the chart. */}}
{{- define "plimsoll.config" -}}
{{- if not (has .Values.mode (list "warn" "deny")) -}}
{{- fail (printf "mode must be warn or deny, not %q" .Values.mode) -}}
{{- end -}}
{{- $serve := dict "serve" (dict "mode" .Values.mode "mutate" .Values.mutate.enabled) -}}
{{- toYaml (merge $serve (deepCopy (default dict .Values.config))) -}}
{{- end -}}

{{/* One webhook of a configuration (everything but its name); path /validate or /mutate. */}}
{{- define "plimsoll.webhook" -}}
clientConfig:
  {{- include "plimsoll.clientConfig" . | nindent 2 }}
failurePolicy: {{ .root.Values.webhook.failurePolicy }}
timeoutSeconds: {{ .root.Values.webhook.timeoutSeconds }}
# the server only reads: a dry run is judged like any request
sideEffects: None
admissionReviewVersions: [v1]
matchPolicy: Equivalent
namespaceSelector:
  {{- include "plimsoll.namespaceSelector" .root | nindent 2 }}
rules:
  {{- range .root.Values.webhook.rules }}
  - apiGroups: {{ toJson .apiGroups }}
    apiVersions: {{ toJson .apiVersions }}
    resources: {{ toJson .resources }}
    operations: [CREATE, UPDATE]
    scope: "*"
  {{- end }}
{{- end -}}
