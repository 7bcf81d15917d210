{{- define "web.unused" -}}unused{{- end }}
