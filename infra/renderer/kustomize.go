package main

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"
)

// kustomizeVersion is set at build time (-ldflags -X main.kustomizeVersion=...).
var kustomizeVersion = "unknown"

// renderKustomize runs what `kustomize build <path>` runs (krusty with default options: legacy
// sort order, root-only load restrictions per kustomization) on the confined tree, with origin
// tracking switched on so each object names the file it came from.
func renderKustomize(t *tree, target string) (rendered, error) {
	kustFile, err := findKustomization(t, target)
	if err != nil {
		return rendered{}, err
	}
	if err := prescan(t, target, map[string]bool{}); err != nil {
		return rendered{}, err
	}
	if injected, ok := withOriginAnnotations(t.files[kustFile]); ok {
		t.override(kustFile, injected)
	}

	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified // what the CLI passes when --reorder is not given
	// Builtin generators and transformers only: no exec or container KRM functions, no Go
	// plugins, no helmCharts inflation (that would exec `helm` and pull charts).
	opts.PluginConfig = types.DisabledPluginConfig()
	resources, err := krusty.MakeKustomizer(opts).Run(t, t.abs(target))
	if err != nil {
		if u := networkAttempt(); u != "" {
			return rendered{}, fail("remote", kustFile, "%s: fetching %s is refused: rendering makes no network request; commit the file instead", kustFile, u)
		}
		return rendered{}, refinePluginError(t, kustFile, err)
	}

	origins := make([]objectSource, 0, resources.Size())
	for _, r := range resources.Resources() {
		src := objectSource{File: kustFile}
		if o, err := r.GetOrigin(); err == nil && o != nil {
			switch {
			case o.Path != "":
				src.File = path.Clean(path.Join(target, o.Path))
			case o.ConfiguredIn != "":
				src.File = path.Clean(path.Join(target, o.ConfiguredIn))
				src.GeneratedBy = o.ConfiguredBy.Kind
			}
		}
		origins = append(origins, src)
	}
	// The same clean-up krusty does when origin annotations were not asked for, so the output
	// is byte for byte what `kustomize build` prints.
	if err := resources.RemoveOriginAnnotations(); err != nil {
		return rendered{}, err
	}
	// What `kustomize build` writes (resmap.AsYaml): each object's YAML, `---` lines between.
	var text strings.Builder
	objects := make([]renderedObject, 0, len(origins))
	for i, r := range resources.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			return rendered{}, fail("render", origins[i].File, "serialising %s: %v", r.CurId(), err)
		}
		if i > 0 {
			text.WriteString("---\n")
		}
		start := text.Len()
		text.Write(y)
		objects = append(objects, renderedObject{Start: start, End: text.Len(), Source: origins[i]})
	}
	return rendered{Text: text.String(), Objects: objects}, nil
}

// findKustomization returns the kustomization file of a directory, or a refusal naming it.
func findKustomization(t *tree, dir string) (string, error) {
	var found []string
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		p := path.Clean(path.Join(dir, name))
		t.noteProbe(p)
		if _, ok := t.files[p]; ok {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 0:
		return "", fail("render", dir, "%s has no kustomization.yaml, kustomization.yml or Kustomization file", dir)
	case 1:
		return found[0], nil
	default:
		return "", fail("render", found[0], "%s has more than one kustomization file (%s): keep one", dir, strings.Join(found, ", "))
	}
}

// remoteRef matches what kustomize would fetch instead of reading a local path: URLs, scp-like
// git addresses and `host.tld/org/repo` forms.
var remoteRef = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]*://|git@|[a-zA-Z0-9-]+(\.[a-zA-Z0-9-]+)+/[^/]+/)`)

// prescan walks the kustomizations reachable through resources, bases and components and
// refuses, naming the kustomization file, every entry that is remote or leaves the tree. The
// in-memory tree and the disabled network would stop them anyway; this is for the message.
func prescan(t *tree, dir string, seen map[string]bool) error {
	if seen[dir] {
		return nil
	}
	seen[dir] = true
	kustFile, err := findKustomization(t, dir)
	if err != nil {
		return nil // a plain directory of resources: kustomize itself will report what is wrong
	}
	var k types.Kustomization
	if err := yaml.Unmarshal(t.files[kustFile], &k); err != nil {
		return nil // kustomize reports the syntax error with its own wording
	}
	if len(k.HelmCharts) > 0 || len(k.HelmChartInflationGenerator) > 0 {
		return fail("plugin", kustFile, "%s: helmCharts is refused: it runs the helm program and pulls charts; make the chart its own target (render: helm)", kustFile)
	}
	entries := append(append(append([]string{}, k.Resources...), k.Bases...), k.Components...) //nolint:gocritic
	for _, entry := range entries {
		if _, local := t.files[path.Clean(path.Join(dir, entry))]; !local && remoteRef.MatchString(entry) {
			return fail("remote", kustFile, "%s: remote resource %q is refused: rendering makes no network request; vendor it into the repository", kustFile, entry)
		}
		resolved := path.Clean(path.Join(dir, entry))
		if path.IsAbs(entry) || resolved == ".." || strings.HasPrefix(resolved, "../") {
			return fail("outside-tree", kustFile, "%s: %q is outside the repository tree: rendering reads only the files of the commit", kustFile, entry)
		}
		if _, isFile := t.files[resolved]; !isFile {
			if err := prescan(t, resolved, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

// withOriginAnnotations adds `originAnnotations` to the top kustomization's buildMetadata so
// kustomize records each object's source file (removed again before output).
func withOriginAnnotations(content []byte) ([]byte, bool) {
	node, err := kyaml.Parse(string(content))
	if err != nil || node.YNode().Kind != kyaml.MappingNode {
		return nil, false
	}
	list, err := node.Pipe(kyaml.LookupCreate(kyaml.SequenceNode, "buildMetadata"))
	if err != nil || list == nil {
		return nil, false
	}
	for _, item := range list.YNode().Content {
		if item.Value == types.OriginAnnotations {
			return nil, false
		}
	}
	list.YNode().Content = append(list.YNode().Content, &kyaml.Node{Kind: kyaml.ScalarNode, Value: types.OriginAnnotations})
	text, err := node.String()
	if err != nil {
		return nil, false
	}
	return []byte(text), true
}

// refinePluginError turns kustomize's plugin refusals into one clear message.
func refinePluginError(t *tree, kustFile string, err error) error {
	msg := t.clean(err.Error())
	lower := strings.ToLower(msg)
	if strings.Contains(lower, "plugin") || strings.Contains(lower, "function") && strings.Contains(lower, "exec") {
		return fail("plugin", fileNamedIn(t, msg, kustFile), "%s: plugins and KRM functions are refused (only Kustomize's builtin generators and transformers run): %s", kustFile, msg)
	}
	return fail("render", fileNamedIn(t, msg, kustFile), "%s", msg)
}

// fileNamedIn picks the longest repository file a message mentions, else the fallback.
func fileNamedIn(t *tree, msg, fallback string) string {
	best := ""
	for p := range t.files {
		if len(p) > len(best) && strings.Contains(msg, p) {
			best = p
		}
	}
	if best != "" {
		return best
	}
	// A directory named in the message: point at its kustomization file.
	bestDir := ""
	for p := range t.files {
		d := path.Dir(p)
		if len(d) > len(bestDir) && strings.Contains(msg, d) {
			if k, err := findKustomization(t, d); err == nil {
				bestDir = d
				best = k
			}
		}
	}
	if best != "" {
		return best
	}
	return fallback
}

// referenceTo finds the kustomization entry that asked for `outside` (an in-memory absolute path
// outside the tree): the kustomization file, the field (`configMapGenerator[0].files[1]`) and
// the entry as written. Generators, patches and replacements name files in many fields; any
// string of a kustomization read during the render that resolves to the path is the one.
func referenceTo(t *tree, outside string) (file, field, entry string, found bool) {
	recognized := map[string]bool{}
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		recognized[name] = true
	}
	for _, rel := range t.inputs() {
		if !recognized[path.Base(rel)] {
			continue
		}
		var doc any
		if yaml.Unmarshal(t.files[rel], &doc) != nil {
			continue
		}
		dir := t.abs(path.Dir(rel))
		walkStrings(doc, "", func(at, s string) bool {
			candidates := []string{s}
			if _, after, ok := strings.Cut(s, "="); ok { // `key=path` in generators
				candidates = append(candidates, after)
			}
			for _, c := range candidates {
				resolved := c
				if !path.IsAbs(c) {
					resolved = path.Join(dir, c)
				}
				if c != "" && path.Clean(resolved) == outside {
					file, field, entry, found = rel, at, c, true
					return true
				}
			}
			return false
		})
		if found {
			return
		}
	}
	return
}

// walkStrings calls fn with each string leaf of a decoded YAML document and its field path; it
// stops once fn returns true.
func walkStrings(node any, at string, fn func(at, s string) bool) bool {
	switch v := node.(type) {
	case string:
		return fn(at, v)
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			next := k
			if at != "" {
				next = at + "." + k
			}
			if walkStrings(v[k], next, fn) {
				return true
			}
		}
	case []any:
		for i, item := range v {
			if walkStrings(item, fmt.Sprintf("%s[%d]", at, i), fn) {
				return true
			}
		}
	}
	return false
}
