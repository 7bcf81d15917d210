"""ApplicationSets expanded as Argo CD expands them: Go templates, fasttemplate, generators."""
