// Command pullbridge-renderer renders one target of a repository tree with the reference
// implementations (Kustomize's krusty and Helm's install action in client-only dry-run, i.e.
// what `kustomize build` and `helm template` run). It reads one JSON request on stdin and
// writes one JSON response on stdout. It never reads the host filesystem for inputs (the tree
// arrives in the request), makes no network request and runs no plugin: see confine.go.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sort"
	"sync"
	"time"
)

// request is the whole input: the tree, which directory to render, and how.
type request struct {
	// Files: repository-relative `/`-separated path → content (base64 in JSON).
	Files map[string][]byte `json:"files"`
	// Path: the target directory inside the tree (`.` for the root).
	Path string `json:"path"`
	// Mode: `kustomize` or `helm`.
	Mode string `json:"mode"`
	Helm *helmRequest `json:"helm,omitempty"`
	// Limits: the helper enforces them itself so it can say which one was hit; the caller
	// still kills the process past its own deadline.
	MaxOutputBytes int64 `json:"maxOutputBytes"`
	MaxMemoryBytes int64 `json:"maxMemoryBytes"`
	TimeoutMs      int64 `json:"timeoutMs"`
}

type helmRequest struct {
	ReleaseName string         `json:"releaseName"`
	Namespace   string         `json:"namespace"`
	ValuesFiles []string       `json:"valuesFiles"`
	Values      map[string]any `json:"values"`
	// KubeVersion and APIVersions feed `.Capabilities` (from the cluster's discovery).
	KubeVersion string   `json:"kubeVersion"`
	APIVersions []string `json:"apiVersions"`
	// IsUpgrade renders with `.Release.IsUpgrade` (what `helm template --is-upgrade` does):
	// pullbridge decides install vs upgrade from the target's inventory.
	IsUpgrade bool `json:"isUpgrade"`
}

// renderedObject is one object as YAML text plus where it came from.
type renderedObject struct {
	YAML   string       `json:"yaml"`
	Source objectSource `json:"source"`
}

type objectSource struct {
	// File: repository-relative file the object was written in (a Kustomize resource file, a
	// generator's kustomization, a Helm template).
	File string `json:"file"`
	// GeneratedBy: the generator kind (e.g. `ConfigMapGenerator`) when Kustomize generated it.
	GeneratedBy string `json:"generatedBy,omitempty"`
	// TransformedBy: files (patches, kustomizations) that changed the object, when known.
	TransformedBy []string `json:"transformedBy,omitempty"`
}

type renderError struct {
	// Code: outside-tree, remote, plugin, render, timeout, memory, output-too-large, request.
	Code    string `json:"code"`
	File    string `json:"file,omitempty"`
	Message string `json:"message"`
}

type response struct {
	Renderer string           `json:"renderer"`
	Objects  []renderedObject `json:"objects"`
	// Hooks: Helm hook objects (`helm.sh/hook`), in Helm's order; pullbridge runs them as hooks.
	Hooks []renderedObject `json:"hooks"`
	// Notes: things a user should know that are not errors (e.g. skipped Helm hooks).
	Notes []string `json:"notes"`
	// Inputs: every repository file the render read (the dependency closure), sorted.
	Inputs []string     `json:"inputs"`
	Error  *renderError `json:"error,omitempty"`
}

// renderFailure carries a classified error out of the renderers.
type renderFailure struct{ renderError }

func (f *renderFailure) Error() string { return f.Message }

func fail(code, file, format string, args ...any) *renderFailure {
	return &renderFailure{renderError{Code: code, File: file, Message: fmt.Sprintf(format, args...)}}
}

var stdout = os.Stdout

func main() {
	confineProcess()
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		finish(response{Error: &renderError{Code: "request", Message: "reading the request: " + err.Error()}})
	}
	var req request
	if err := json.Unmarshal(raw, &req); err != nil {
		finish(response{Error: &renderError{Code: "request", Message: "invalid request JSON: " + err.Error()}})
	}
	raw = nil
	bound(req)

	tree := newTree(req.Files)
	var objects, hooks []renderedObject
	var notes []string
	var renderer string
	switch req.Mode {
	case "kustomize":
		renderer = "kustomize " + kustomizeVersion
		objects, err = renderKustomize(tree, req.Path)
	case "helm":
		renderer = "helm " + helmVersion
		objects, hooks, notes, err = renderHelm(tree, req.Path, req.Helm)
	default:
		err = fail("request", "", "unknown mode %q (want kustomize or helm)", req.Mode)
	}
	resp := response{Renderer: renderer, Objects: objects, Hooks: hooks, Notes: notes, Inputs: tree.inputs()}
	if err != nil {
		resp.Objects = nil
		resp.Hooks = nil
		resp.Error = classify(err, tree)
	}
	if resp.Notes == nil {
		resp.Notes = []string{}
	}
	if resp.Objects == nil {
		resp.Objects = []renderedObject{}
	}
	var size int64
	for _, o := range resp.Objects {
		size += int64(len(o.YAML))
	}
	for _, o := range resp.Hooks {
		size += int64(len(o.YAML))
	}
	if req.MaxOutputBytes > 0 && size > req.MaxOutputBytes {
		resp.Objects = []renderedObject{}
		resp.Hooks = []renderedObject{}
		resp.Error = &renderError{Code: "output-too-large", File: req.Path, Message: fmt.Sprintf(
			"rendered output of %s is %d bytes, above the limit of %d bytes (maxOutputBytes)", req.Path, size, req.MaxOutputBytes)}
	}
	finish(resp)
}

// classify prefers a confinement violation recorded by the tree (the precise cause) over the
// wrapped message the library built around it.
func classify(err error, tree *tree) *renderError {
	if v := tree.violation(); v != nil {
		return &v.renderError
	}
	if f, ok := err.(*renderFailure); ok {
		return &f.renderError
	}
	return &renderError{Code: "render", File: tree.lastRead(), Message: tree.clean(err.Error())}
}

// finishing is taken once and never released: the first finisher (main, the timer or the
// memory watchdog) writes the only response and exits.
var finishing sync.Mutex

func finish(resp response) {
	finishing.Lock()
	if resp.Inputs == nil {
		resp.Inputs = []string{}
	}
	sort.Strings(resp.Inputs)
	if resp.Objects == nil {
		resp.Objects = []renderedObject{}
	}
	if resp.Hooks == nil {
		resp.Hooks = []renderedObject{}
	}
	if resp.Notes == nil {
		resp.Notes = []string{}
	}
	out, _ := json.Marshal(resp)
	_, _ = stdout.Write(out)
	_, _ = stdout.Write([]byte("\n"))
	if resp.Error != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

// bound enforces the time and memory limits from inside, so the caller gets a named error
// rather than a bare kill (the caller's own kill stays the backstop).
func bound(req request) {
	if req.MaxMemoryBytes > 0 {
		// A soft limit makes the GC work harder near the cap; the watchdog is the hard stop.
		debug.SetMemoryLimit(req.MaxMemoryBytes * 8 / 10)
		go watchMemory(uint64(req.MaxMemoryBytes))
	}
	if req.TimeoutMs > 0 {
		go func() {
			time.Sleep(time.Duration(req.TimeoutMs) * time.Millisecond)
			finish(response{Error: &renderError{Code: "timeout", File: req.Path, Message: fmt.Sprintf(
				"rendering %s took longer than %d ms (timeoutMs)", req.Path, req.TimeoutMs)}})
		}()
	}
}

func watchMemory(limit uint64) {
	samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	for {
		metrics.Read(samples)
		used := samples[0].Value.Uint64() - samples[1].Value.Uint64()
		if used > limit {
			runtime.GC()
			finish(response{Error: &renderError{Code: "memory", Message: fmt.Sprintf(
				"rendering used more than %d bytes of memory (maxMemoryBytes)", limit)}})
		}
		time.Sleep(20 * time.Millisecond)
	}
}
