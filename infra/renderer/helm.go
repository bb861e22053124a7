package main

import (
	"bytes"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/ignore"
	"sigs.k8s.io/yaml"
)

// helmVersion is set at build time (-ldflags -X main.helmVersion=...).
var helmVersion = "unknown"

// renderHelm runs what `helm template --include-crds --no-hooks` runs (the install action in
// client-only dry-run, `--is-upgrade` when asked) on a chart directory of the tree. Hooks are not
// in the text (as with --no-hooks): they come back apart, in Helm's order, with their
// `helm.sh/hook` annotations, and pullbridge runs them as hooks.
func renderHelm(t *tree, target string, req *helmRequest) (rendered, error) {
	if req == nil {
		req = &helmRequest{}
	}
	chartFile := path.Clean(path.Join(target, "Chart.yaml"))
	if _, ok := t.readRel(chartFile); !ok {
		return rendered{}, fail("render", target, "%s has no Chart.yaml", target)
	}
	chrt, err := loadChart(t, target)
	if err != nil {
		return rendered{}, err
	}
	if typ := chrt.Metadata.Type; typ != "" && typ != "application" {
		return rendered{}, fail("render", chartFile, "%s: chart type %q cannot be rendered (only application charts)", chartFile, typ)
	}
	if deps := chrt.Metadata.Dependencies; deps != nil {
		if err := action.CheckDependencies(chrt, deps); err != nil {
			return rendered{}, fail("remote", chartFile, "%s: %v: pullbridge fetches no chart repository; run `helm dependency build` and commit the charts/ directory", chartFile, err)
		}
	}
	vals, err := mergeValues(t, target, req)
	if err != nil {
		return rendered{}, err
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
			return rendered{}, fail("request", "", "invalid kube version %q: %v", req.KubeVersion, err)
		}
		install.KubeVersion = kv
	}
	install.APIVersions = chartutil.VersionSet(req.APIVersions)
	install.IsUpgrade = req.IsUpgrade
	rel, err := install.Run(chrt, vals)
	if err != nil {
		msg := cleanChartMessage(err.Error(), chrt.Name(), target)
		return rendered{}, fail("render", fileNamedIn(t, msg, chartFile), "%s", msg)
	}

	// What `helm template` prints with --no-hooks (cmd/helm/template.go): the manifest, trimmed,
	// and a newline. The objects are Helm's own split of it (releaseutil.SplitManifests).
	text := strings.TrimSpace(rel.Manifest) + "\n"
	objects := []renderedObject{}
	source := ""
	for _, span := range splitManifests(text) {
		doc := text[span[0]:span[1]]
		// A document without its own `# Source:` line is a later document of the same file
		// (a CRD file of several documents is printed as it is written).
		if s, ok := sourceOf(doc); ok {
			source = s
		}
		objects = append(objects, renderedObject{Start: span[0], End: span[1], Source: objectSource{File: templateFile(t, target, source)}})
	}
	hooks := make([]hookObject, 0, len(rel.Hooks))
	for _, h := range rel.Hooks {
		hooks = append(hooks, hookObject{YAML: h.Manifest, Source: objectSource{File: templateFile(t, target, h.Path)}})
	}
	return rendered{Text: text, Objects: objects, Hooks: hooks}, nil
}

// manifestSeparator is releaseutil's own document separator.
var manifestSeparator = regexp.MustCompile("(?:^|\\s*\n)---\\s*")

// splitManifests is releaseutil.SplitManifests returning where each document is in `text`
// (as [start, end) byte offsets) instead of copies: the same trimmed documents, in order.
func splitManifests(text string) [][2]int {
	trimmed := strings.TrimSpace(text)
	base := strings.Index(text, trimmed)
	if trimmed == "" {
		return nil
	}
	var spans [][2]int
	from := 0
	add := func(start, end int) {
		doc := trimmed[start:end]
		inner := strings.TrimSpace(doc)
		if inner == "" {
			return
		}
		lead := strings.Index(doc, inner)
		spans = append(spans, [2]int{base + start + lead, base + start + lead + len(inner)})
	}
	for _, m := range manifestSeparator.FindAllStringIndex(trimmed, -1) {
		add(from, m[0])
		from = m[1]
	}
	add(from, len(trimmed))
	return spans
}

// loadChart loads the chart directory from the in-memory tree exactly as Helm's directory
// loader does (loader.LoadDir: .helmignore and its defaults, directories skipped whole, a UTF-8
// BOM trimmed, then loader.LoadFiles, which also reads charts/*.tgz and subchart directories),
// without writing anything to disk: the tree may hold decrypted values files (SOPS), which must
// never reach a file. The tree holds only regular files: no symlinks, no irregular files.
func loadChart(t *tree, target string) (*chart.Chart, error) {
	below := t.below(target)
	rules := ignore.Empty()
	if data, ok := below[ignore.HelmIgnore]; ok {
		r, err := ignore.Parse(bytes.NewReader(data))
		if err != nil {
			return nil, fail("render", path.Join(target, ignore.HelmIgnore), "%s: %v", path.Join(target, ignore.HelmIgnore), err)
		}
		rules = r
	}
	rules.AddDefaults()
	names := make([]string, 0, len(below))
	for rel := range below {
		names = append(names, rel)
		t.noteRead(path.Clean(path.Join(target, rel)))
	}
	// The order sympath.Walk visits a directory in.
	sort.Strings(names)
	files := make([]*loader.BufferedFile, 0, len(names))
	for _, rel := range names {
		if ignoredBelow(rules, rel) || rules.Ignore(rel, memFileInfo{name: path.Base(rel), size: int64(len(below[rel]))}) {
			continue
		}
		if len(below[rel]) > int(loader.MaxDecompressedFileSize) {
			return nil, fail("render", path.Join(target, rel), "chart file %q is larger than the maximum file size %d", path.Base(rel), loader.MaxDecompressedFileSize)
		}
		files = append(files, &loader.BufferedFile{Name: rel, Data: bytes.TrimPrefix(below[rel], utf8bom)})
	}
	chrt, err := loader.LoadFiles(files)
	if err != nil {
		msg := err.Error()
		return nil, fail("render", fileNamedIn(t, msg, path.Join(target, "Chart.yaml")), "%s: %s", path.Join(target, "Chart.yaml"), msg)
	}
	return chrt, nil
}

var utf8bom = []byte{0xEF, 0xBB, 0xBF}

// ignoredBelow: a directory on the way to rel is ignored, so Helm's walk would skip all of it.
func ignoredBelow(rules *ignore.Rules, rel string) bool {
	parts := strings.Split(rel, "/")
	for i := 1; i < len(parts); i++ {
		if rules.Ignore(strings.Join(parts[:i], "/"), memFileInfo{name: parts[i-1], dir: true}) {
			return true
		}
	}
	return false
}

// memFileInfo is the os.FileInfo .helmignore rules look at (a name, whether it is a directory).
type memFileInfo struct {
	name string
	size int64
	dir  bool
}

func (f memFileInfo) Name() string { return f.name }
func (f memFileInfo) Size() int64  { return f.size }
func (f memFileInfo) Mode() os.FileMode {
	if f.dir {
		return os.ModeDir | 0o500
	}
	return 0o400
}
func (f memFileInfo) ModTime() time.Time { return time.Time{} }
func (f memFileInfo) IsDir() bool        { return f.dir }
func (f memFileInfo) Sys() any           { return nil }

// mergeValues reads the values files from the tree (in order, later wins, as repeated
// `--values`) and puts the inline values last.
func mergeValues(t *tree, target string, req *helmRequest) (map[string]any, error) {
	base := map[string]any{}
	for i, file := range req.ValuesFiles {
		content, ok := t.readRel(strings.TrimPrefix(file, "/"))
		if !ok {
			rel := path.Clean(strings.TrimPrefix(file, "/"))
			if target == "." || strings.HasPrefix(rel, path.Clean(target)+"/") {
				return nil, fail("render", file, "values file %s (helm.valuesFiles[%d]) does not exist at this commit", file, i)
			}
			// The tree holds the target's path and watch paths only: the caller knows which were fetched.
			return nil, fail("render", file, "values file %s (helm.valuesFiles[%d]) is not among the target's files", file, i)
		}
		current := map[string]any{}
		if err := yaml.Unmarshal(content, &current); err != nil {
			return nil, fail("render", file, "%s (helm.valuesFiles[%d]): %v", file, i, err)
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

// sourceOf reads the `# Source: <chart>/templates/x.yaml` line Helm puts before each file's output.
func sourceOf(doc string) (string, bool) {
	first, _, _ := strings.Cut(doc, "\n")
	rest, ok := strings.CutPrefix(first, "# Source:")
	return strings.TrimSpace(rest), ok
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
