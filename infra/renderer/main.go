// Command pullbridge-renderer renders one target of a repository tree with the reference
// implementations (Kustomize's krusty and Helm's install action in client-only dry-run, i.e.
// what `kustomize build` and `helm template` run). It reads one JSON request on stdin and
// writes a JSON header line and the rendered text on stdout. It never reads the host filesystem
// for inputs (the tree arrives in the request), makes no network request, runs no plugin (see
// confine.go) and cannot grow past its memory bound (memory.go).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

// request is the whole input: the tree, which directory to render, and how.
type request struct {
	// Files: repository-relative `/`-separated path → content (base64 in JSON). A symbolic link
	// the caller followed is a file (or directory of files) here, with the content it points to.
	Files map[string][]byte `json:"files"`
	// Links: each followed symbolic link → the repository path it resolves to, so Kustomize's
	// load restrictions see where a file really is, as they do on disk.
	Links map[string]string `json:"links,omitempty"`
	// Path: the target directory inside the tree (`.` for the root).
	Path string `json:"path"`
	// Mode: `kustomize` or `helm`.
	Mode string       `json:"mode"`
	Helm *helmRequest `json:"helm,omitempty"`
	// Limits: the helper enforces them itself so it can say which one was hit; the caller
	// still kills the process past its own deadline. (The memory bound is a command-line flag:
	// it must hold before the request is read.)
	MaxOutputBytes int64 `json:"maxOutputBytes"`
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

// rendered is a render's result: the text the stock tool prints and where each object is in it.
type rendered struct {
	// Text: byte for byte what `kustomize build` / `helm template --include-crds --no-hooks` print.
	Text    string
	Objects []renderedObject
	// Hooks: Helm hook objects (`helm.sh/hook`), in Helm's order, not part of Text.
	Hooks []hookObject
	Notes []string
}

// hookObject is one Helm hook: its YAML (hooks are few and small, so inline) and its template.
type hookObject struct {
	YAML   string       `json:"yaml"`
	Source objectSource `json:"source"`
}

// renderedObject is one object: its bytes [Start, End) in the text, and where it came from.
type renderedObject struct {
	Start  int          `json:"start"`
	End    int          `json:"end"`
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
	// Code: outside-tree, remote, plugin, render, timeout, output-too-large, request. (Memory is
	// named by the caller: a Go process cannot report its own out-of-memory death.)
	Code    string `json:"code"`
	File    string `json:"file,omitempty"`
	Message string `json:"message"`
}

// header is the first line of stdout (JSON); exactly TextBytes bytes of rendered text follow it,
// unescaped, so the output limit measures the text itself.
type header struct {
	Renderer string           `json:"renderer"`
	Objects  []renderedObject `json:"objects"`
	// Hooks: Helm hook objects (`helm.sh/hook`), in Helm's order; pullbridge runs them as hooks.
	Hooks []hookObject `json:"hooks"`
	// Notes: things a user should know that are not errors.
	Notes []string `json:"notes"`
	// Inputs: every repository file the render read (the dependency closure), sorted.
	Inputs []string `json:"inputs"`
	// Listed: directories the render listed; Probed: paths whose existence it checked, with what
	// it found. A file added, removed or changed there can change the render (derived routing).
	Listed    []string          `json:"listed"`
	Probed    map[string]string `json:"probed"`
	TextBytes int               `json:"textBytes"`
	Error     *renderError      `json:"error,omitempty"`
}

// renderFailure carries a classified error out of the renderers.
type renderFailure struct{ renderError }

func (f *renderFailure) Error() string { return f.Message }

func fail(code, file, format string, args ...any) *renderFailure {
	return &renderFailure{renderError{Code: code, File: file, Message: fmt.Sprintf(format, args...)}}
}

var stdout = os.Stdout

func main() {
	maxMemory := flag.Int64("max-memory-bytes", 0, "bound on the process's memory (0: none)")
	flag.Parse()
	if err := boundMemory(*maxMemory); err != nil {
		finish(header{Error: &renderError{Code: "request", Message: "cannot bound the renderer's memory: " + err.Error()}}, "")
	}
	confineProcess()
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		finish(header{Error: &renderError{Code: "request", Message: "reading the request: " + err.Error()}}, "")
	}
	var req request
	if err := json.Unmarshal(raw, &req); err != nil {
		finish(header{Error: &renderError{Code: "request", Message: "invalid request JSON: " + err.Error()}}, "")
	}
	raw = nil
	boundTime(req)

	tree := newTree(req.Files, req.Links)
	var out rendered
	var renderer string
	switch req.Mode {
	case "kustomize":
		renderer = "kustomize " + kustomizeVersion
		out, err = renderKustomize(tree, req.Path)
	case "helm":
		renderer = "helm " + helmVersion
		out, err = renderHelm(tree, req.Path, req.Helm)
	default:
		err = fail("request", "", "unknown mode %q (want kustomize or helm)", req.Mode)
	}
	resp := header{Renderer: renderer, Objects: out.Objects, Hooks: out.Hooks, Notes: out.Notes, Inputs: tree.inputs(),
		Listed: tree.listings(), Probed: tree.probes()}
	if err != nil {
		finish(header{Renderer: renderer, Inputs: resp.Inputs, Error: classify(err, tree)}, "")
	}
	size := int64(len(out.Text))
	for _, h := range out.Hooks {
		size += int64(len(h.YAML))
	}
	if req.MaxOutputBytes > 0 && size > req.MaxOutputBytes {
		finish(header{Renderer: renderer, Inputs: resp.Inputs, Error: &renderError{Code: "output-too-large", File: req.Path, Message: fmt.Sprintf(
			"rendered output of %s is %d bytes, above the limit of %d bytes (maxOutputBytes)", req.Path, size, req.MaxOutputBytes)}}, "")
	}
	finish(resp, out.Text)
}

// classify prefers a confinement violation recorded by the tree (the precise cause) over the
// wrapped message the library built around it, and makes every message name its file.
func classify(err error, tree *tree) *renderError {
	var e renderError
	if v := tree.violation(); v != nil {
		e = v.renderError
		if e.Code == "outside-tree" {
			if file, field, entry, ok := referenceTo(tree, e.File); ok {
				e = renderError{Code: e.Code, File: file, Message: fmt.Sprintf(
					"%s: %s reads %s, outside the repository tree: rendering reads only the files of the commit", file, field, entry)}
			}
		}
	} else if f, ok := err.(*renderFailure); ok {
		e = f.renderError
	} else {
		e = renderError{Code: "render", File: tree.lastRead(), Message: tree.clean(err.Error())}
	}
	for from, to := range tree.links {
		if strings.Contains(e.Message, "'"+from+"' is not in or below") {
			e.Message += fmt.Sprintf(" (%s is a symbolic link to %s; Kustomize reads a kustomization's files only in or below its directory)", from, to)
		}
	}
	if e.File != "" && !strings.Contains(e.Message, e.File) {
		e.Message = e.File + ": " + e.Message
	}
	return &e
}

// finishing is taken once and never released: the first finisher (main or the timer) writes
// the only response and exits.
var finishing sync.Mutex

func finish(h header, text string) {
	finishing.Lock()
	if h.Inputs == nil {
		h.Inputs = []string{}
	}
	if h.Listed == nil {
		h.Listed = []string{}
	}
	if h.Probed == nil {
		h.Probed = map[string]string{}
	}
	sort.Strings(h.Inputs)
	if h.Objects == nil || h.Error != nil {
		h.Objects = []renderedObject{}
	}
	if h.Hooks == nil || h.Error != nil {
		h.Hooks = []hookObject{}
	}
	if h.Notes == nil {
		h.Notes = []string{}
	}
	if h.Error != nil {
		text = ""
	}
	h.TextBytes = len(text)
	line, _ := json.Marshal(h)
	w := bufio.NewWriterSize(stdout, 1<<16)
	_, _ = w.Write(line)
	_ = w.WriteByte('\n')
	_, _ = w.WriteString(text)
	_ = w.Flush()
	if h.Error != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

// boundTime stops the render past its time limit from inside, so the caller gets a named error
// rather than a bare kill (the caller's own kill stays the backstop).
func boundTime(req request) {
	if req.TimeoutMs > 0 {
		go func() {
			time.Sleep(time.Duration(req.TimeoutMs) * time.Millisecond)
			finish(header{Error: &renderError{Code: "timeout", File: req.Path, Message: fmt.Sprintf(
				"rendering %s took longer than %d ms (timeoutMs)", req.Path, req.TimeoutMs)}}, "")
		}()
	}
}
