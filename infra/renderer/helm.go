package main

import (
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/releaseutil"
	"sigs.k8s.io/yaml"
)

// helmVersion is set at build time (-ldflags -X main.helmVersion=...).
var helmVersion = "unknown"

// renderHelm runs what `helm template --include-crds` runs (the install action in client-only
// dry-run, `--is-upgrade` when asked) on a chart directory of the tree. Hooks come back apart from
// the objects, in Helm's order, with their `helm.sh/hook` annotations: pullbridge runs them.
func renderHelm(t *tree, target string, req *helmRequest) ([]renderedObject, []renderedObject, []string, error) {
	if req == nil {
		req = &helmRequest{}
	}
	chartFile := path.Clean(path.Join(target, "Chart.yaml"))
	if _, ok := t.readRel(chartFile); !ok {
		return nil, nil, nil, fail("render", target, "%s has no Chart.yaml", target)
	}
	chrt, err := loadChart(t, target)
	if err != nil {
		return nil, nil, nil, err
	}
	if typ := chrt.Metadata.Type; typ != "" && typ != "application" {
		return nil, nil, nil, fail("render", chartFile, "%s: chart type %q cannot be rendered (only application charts)", chartFile, typ)
	}
	if deps := chrt.Metadata.Dependencies; deps != nil {
		if err := action.CheckDependencies(chrt, deps); err != nil {
			return nil, nil, nil, fail("remote", chartFile, "%s: %v: pullbridge fetches no chart repository; run `helm dependency build` and commit the charts/ directory", chartFile, err)
		}
	}
	vals, err := mergeValues(t, req)
	if err != nil {
		return nil, nil, nil, err
	}

	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.DryRun = true
	install.DryRunOption = "true"
	install.ClientOnly = true
	install.Replace = true
	install.IncludeCRDs = true
	install.ReleaseName = req.ReleaseName
	if install.ReleaseName == "" {
		install.ReleaseName = "release-name"
	}
	install.Namespace = req.Namespace
	if install.Namespace == "" {
		install.Namespace = "default"
	}
	if req.KubeVersion != "" {
		kv, err := chartutil.ParseKubeVersion(req.KubeVersion)
		if err != nil {
			return nil, nil, nil, fail("request", "", "invalid kube version %q: %v", req.KubeVersion, err)
		}
		install.KubeVersion = kv
	}
	install.APIVersions = chartutil.VersionSet(req.APIVersions)
	install.IsUpgrade = req.IsUpgrade
	rel, err := install.Run(chrt, vals)
	if err != nil {
		msg := cleanChartMessage(err.Error(), chrt.Name(), target)
		return nil, nil, nil, fail("render", fileNamedIn(t, msg, chartFile), "%s", msg)
	}

	split := releaseutil.SplitManifests(rel.Manifest)
	keys := make([]string, 0, len(split))
	for k := range split {
		keys = append(keys, k)
	}
	sort.Sort(releaseutil.BySplitManifestsOrder(keys))
	objects := make([]renderedObject, 0, len(keys))
	for _, k := range keys {
		doc := split[k]
		objects = append(objects, renderedObject{YAML: doc, Source: objectSource{File: templateFile(t, target, sourceOf(doc))}})
	}
	hooks := make([]renderedObject, 0, len(rel.Hooks))
	for _, h := range rel.Hooks {
		hooks = append(hooks, renderedObject{YAML: h.Manifest, Source: objectSource{File: templateFile(t, target, h.Path)}})
	}
	return objects, hooks, []string{}, nil
}

// loadChart copies the chart directory into a private temporary directory and loads it with
// Helm's own directory loader (so .helmignore, charts/*.tgz and subchart directories behave
// exactly as in `helm template`). The copy holds only the tree's regular files: no symlinks.
func loadChart(t *tree, target string) (*chart.Chart, error) {
	dir, err := os.MkdirTemp("", "pullbridge-chart-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	root := filepath.Join(dir, path.Base(path.Clean("/"+target)))
	if target == "." || target == "" {
		root = filepath.Join(dir, "chart")
	}
	for rel, content := range t.below(target) {
		dst := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(dst, content, 0o600); err != nil {
			return nil, err
		}
		t.noteRead(path.Clean(path.Join(target, rel)))
	}
	chrt, err := loader.LoadDir(root)
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), root+"/", strings.TrimSuffix(target, "/")+"/")
		msg = strings.ReplaceAll(msg, root, target)
		return nil, fail("render", fileNamedIn(t, msg, path.Join(target, "Chart.yaml")), "%s", msg)
	}
	return chrt, nil
}

// mergeValues reads the values files from the tree (in order, later wins, as repeated
// `--values`) and puts the inline values last.
func mergeValues(t *tree, req *helmRequest) (map[string]any, error) {
	base := map[string]any{}
	for _, file := range req.ValuesFiles {
		content, ok := t.readRel(strings.TrimPrefix(file, "/"))
		if !ok {
			return nil, fail("render", file, "values file %s is not in the repository tree", file)
		}
		current := map[string]any{}
		if err := yaml.Unmarshal(content, &current); err != nil {
			return nil, fail("render", file, "%s: %v", file, err)
		}
		base = mergeMaps(base, current)
	}
	if req.Values != nil {
		base = mergeMaps(base, req.Values)
	}
	return base, nil
}

// mergeMaps is Helm's own merge for repeated --values (pkg/cli/values, unexported there).
func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if v, ok := v.(map[string]any); ok {
			if bv, ok := out[k]; ok {
				if bv, ok := bv.(map[string]any); ok {
					out[k] = mergeMaps(bv, v)
					continue
				}
			}
		}
		out[k] = v
	}
	return out
}

// sourceOf reads the `# Source: <chart>/templates/x.yaml` line Helm puts on every document.
func sourceOf(doc string) string {
	first, _, _ := strings.Cut(doc, "\n")
	return strings.TrimSpace(strings.TrimPrefix(first, "# Source:"))
}

// templateFile maps a Helm source name (`<chart>/templates/x.yaml`,
// `<chart>/charts/<sub>/templates/y.yaml`) to the repository file it came from; a template
// of a subchart vendored as a .tgz points at the archive.
func templateFile(t *tree, target, source string) string {
	_, rest, found := strings.Cut(source, "/")
	if !found {
		return path.Join(target, "Chart.yaml")
	}
	candidate := path.Clean(path.Join(target, rest))
	if _, ok := t.files[candidate]; ok {
		return candidate
	}
	// charts/<sub>/... not in the tree: the subchart came from an archive in charts/.
	parts := strings.Split(rest, "/")
	dir := target
	for i := 0; i+1 < len(parts); i += 2 {
		if parts[i] != "charts" {
			break
		}
		sub := parts[i+1]
		chartsDir := path.Join(dir, "charts")
		for p := range t.files {
			if path.Dir(p) == chartsDir && strings.HasPrefix(path.Base(p), sub+"-") && strings.HasSuffix(p, ".tgz") {
				return p
			}
		}
		dir = path.Join(chartsDir, sub)
	}
	return candidate
}

// cleanChartMessage maps chart-relative names in Helm's messages (`<chart>/templates/x.yaml`)
// to repository paths.
func cleanChartMessage(msg, chartName, target string) string {
	if target == "." {
		return msg
	}
	return strings.ReplaceAll(msg, chartName+"/", strings.TrimSuffix(target, "/")+"/")
}
