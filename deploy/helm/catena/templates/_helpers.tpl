{{/* The release's base name: pod names add at most "-storage-NNNNN", so it stays within 40 characters. */}}
{{- define "catena.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "catena.labels" -}}
app.kubernetes.io/name: {{ default .Chart.Name .Values.nameOverride }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "storage"). */}}
{{- define "catena.selectorLabels" -}}
app.kubernetes.io/name: {{ default .root.Chart.Name .root.Values.nameOverride }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "catena.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The stable DNS name of a StatefulSet's pods' service: (dict "root" $ "component" "mgmtd"). */}}
{{- define "catena.serviceDomain" -}}
{{- printf "%s-%s.%s.svc.%s" (include "catena.fullname" .root) .component .root.Release.Namespace .root.Values.clusterDomain -}}
{{- end -}}

{{/* The address a StatefulSet pod listens on and advertises: its own stable name ($(POD_NAME) is set in env). */}}
{{- define "catena.podAddress" -}}
{{- printf "tcp://$(POD_NAME).%s:%d" (include "catena.serviceDomain" .) (int .port) -}}
{{- end -}}

{{/* Every mgmtd address, comma-separated: what servers, mounts and admin commands are given. */}}
{{- define "catena.mgmtdAddresses" -}}
{{- $f := include "catena.fullname" . -}}
{{- if eq .Values.mode "control" -}}
{{- printf "tcp://%s-control-0.%s:%d" $f (include "catena.serviceDomain" (dict "root" . "component" "control")) (int .Values.control.port) -}}
{{- else -}}
{{- $domain := include "catena.serviceDomain" (dict "root" . "component" "mgmtd") -}}
{{- $list := list -}}
{{- range $i := until (int .Values.mgmtd.replicas) -}}
{{- $list = append $list (printf "tcp://%s-mgmtd-%d.%s:%d" $f (add1 $i) $domain (int $.Values.mgmtd.port)) -}}
{{- end -}}
{{- join "," $list -}}
{{- end -}}
{{- end -}}

{{/* The KV engine URL of mgmtd, meta and control. */}}
{{- define "catena.kvUrl" -}}
{{- if .Values.kv.engineUrl -}}
{{- if not (hasPrefix "etcd://" .Values.kv.engineUrl) -}}
{{- fail (printf "kv.engineUrl must be an etcd://host:port[,host:port...]/prefix URL, not %s" .Values.kv.engineUrl) -}}
{{- end -}}
{{- .Values.kv.engineUrl -}}
{{- else if eq .Values.mode "control" -}}
rocksdb:///data/kv
{{- else -}}
{{- fail "mode ha needs kv.engineUrl: etcd://host:port[,host:port...]/prefix (an existing etcd; see docs/kubernetes.md)" -}}
{{- end -}}
{{- end -}}

{{- define "catena.tokenSecret" -}}
{{- default (printf "%s-admin-token" (include "catena.fullname" .)) .Values.auth.existingSecret -}}
{{- end -}}

{{/* Where every pod finds its token (rpc.auth_token_file). */}}
{{- define "catena.tokenFile" -}}/etc/catena/token/token{{- end -}}

{{/*
The role's user configuration as CATENA_* variables: (dict "root" $ "config" ROLE_CONFIG "reserved" LIST). The role's
keys win over the global ones; keys the chart sets itself are refused, so a value never silently loses to another.
*/}}
{{- define "catena.configEnv" -}}
{{- $cfg := deepCopy (default dict .root.Values.config) -}}
{{- range $k, $v := (default dict .config) }}{{ $_ := set $cfg $k $v }}{{ end -}}
{{- range $k, $v := $cfg }}
{{- if has $k $.reserved }}
{{- fail (printf "config key %s is set by the chart itself; use the chart's own value for it (docs/kubernetes.md)" $k) }}
{{- end }}
{{- $s := toString $v }}
{{- if and (kindIs "float64" $v) (eq $v (float64 (int64 $v))) }}{{ $s = toString (int64 $v) }}{{ end }}
- name: {{ printf "CATENA_%s" ($k | replace "." "_" | upper) }}
  value: {{ $s | quote }}
{{- end }}
{{- end -}}

{{/* Keys every server pod has set by the chart. */}}
{{- define "catena.commonEnv" -}}
- name: POD_NAME
  valueFrom: {fieldRef: {fieldPath: metadata.name}}
- name: CATENA_CLUSTER_ID
  value: {{ .Values.clusterId | quote }}
- name: CATENA_RPC_AUTH_TOKEN_FILE
  value: {{ include "catena.tokenFile" . }}
{{- end -}}

{{/* etcd credentials, for the processes that open the KV store. */}}
{{- define "catena.etcdEnv" -}}
{{- if .Values.kv.etcd.user }}
- name: CATENA_KV_ETCD_USER
  value: {{ .Values.kv.etcd.user | quote }}
{{- end }}
{{- if .Values.kv.etcd.passwordSecret }}
- name: CATENA_KV_ETCD_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ .Values.kv.etcd.passwordSecret }}, key: {{ .Values.kv.etcd.passwordKey }}}
{{- end }}
{{- end -}}

{{- define "catena.tokenVolume" -}}
- name: token
  secret:
    secretName: {{ .secret }}
    defaultMode: 0440
    items: [{key: {{ .root.Values.auth.secretKey }}, path: token}]
{{- end -}}

{{- define "catena.commonMounts" -}}
- {name: token, mountPath: /etc/catena/token, readOnly: true}
- {name: tmp, mountPath: /tmp}
{{- end -}}

{{/* No two pods of one component on a node, unless the values give their own affinity. */}}
{{- define "catena.affinity" -}}
{{- if .affinity -}}
{{- toYaml .affinity -}}
{{- else -}}
podAntiAffinity:
  requiredDuringSchedulingIgnoredDuringExecution:
    - topologyKey: kubernetes.io/hostname
      labelSelector:
        matchLabels:
          {{- include "catena.selectorLabels" (dict "root" .root "component" .component) | nindent 10 }}
{{- end -}}
{{- end -}}

{{- define "catena.checkMode" -}}
{{- if not (has .Values.mode (list "control" "ha")) -}}
{{- fail (printf "mode must be control or ha, not %s" .Values.mode) -}}
{{- end -}}
{{- end -}}
