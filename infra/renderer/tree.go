package main

import (
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// treeRoot is where the repository tree sits in the in-memory filesystem. Anything that
// resolves outside it (`../../..`, an absolute path) is refused by name.
const treeRoot = "/pullbridge-tree"

// tree is the commit's files as a read-only, in-memory kustomize filesystem. It has no access
// to the host disk, records every file read (the render's dependency closure), every directory
// listed and every existence check (what a file added or removed elsewhere could change), and
// the first attempt to leave it. Symbolic links arrive followed (their content at their own path); where
// each resolves is kept so CleanedAbs answers as the disk would (see links).
type tree struct {
	files map[string][]byte
	mem   filesys.FileSystem
	// links: followed symbolic link → the repository path it resolves to.
	links map[string]string

	mu   sync.Mutex
	read map[string]bool
	// listed: directories whose entries the render enumerated (ReadDir, Glob, Walk).
	listed map[string]bool
	// probed: paths whose existence the render checked → what it found ("file", "dir", "absent").
	probed    map[string]string
	last      string
	violated  *renderFailure
	overrides map[string][]byte
}

func newTree(files map[string][]byte, links map[string]string) *tree {
	mem := filesys.MakeFsInMemory()
	clean := make(map[string][]byte, len(files))
	for p, content := range files {
		rel := path.Clean(strings.TrimPrefix(p, "/"))
		if rel == "." || strings.HasPrefix(rel, "../") || rel == ".." {
			continue
		}
		clean[rel] = content
		_ = mem.WriteFile(treeRoot+"/"+rel, content)
	}
	_ = mem.MkdirAll(treeRoot)
	cleanLinks := make(map[string]string, len(links))
	for from, to := range links {
		cleanLinks[path.Clean(from)] = path.Clean(to)
	}
	return &tree{files: clean, mem: mem, links: cleanLinks, read: map[string]bool{}, listed: map[string]bool{},
		probed: map[string]string{}, overrides: map[string][]byte{}}
}

// resolve maps a repository-relative path through the followed links it goes through (the
// longest linked prefix first, until none is left), as the kernel resolves a path on disk.
func (t *tree) resolve(rel string) string {
	for range 40 {
		replaced := false
		for p := rel; p != "." && p != "/"; p = path.Dir(p) {
			if to, ok := t.links[p]; ok {
				rel = path.Join(to, strings.TrimPrefix(rel, p))
				replaced = true
				break
			}
		}
		if !replaced {
			return rel
		}
	}
	return rel
}

// abs maps a repository-relative path to its place in the in-memory filesystem.
func (t *tree) abs(rel string) string {
	rel = path.Clean(strings.TrimPrefix(rel, "/"))
	if rel == "." {
		return treeRoot
	}
	return treeRoot + "/" + rel
}

// rel maps an in-memory path back to a repository-relative one; ok is false outside the tree.
func (t *tree) rel(p string) (string, bool) {
	p = filepath.ToSlash(filepath.Clean(p))
	if !path.IsAbs(p) {
		p = path.Join(treeRoot, p)
	}
	if p == treeRoot {
		return ".", true
	}
	if strings.HasPrefix(p, treeRoot+"/") {
		return strings.TrimPrefix(p, treeRoot+"/"), true
	}
	return p, false
}

// clean rewrites in-memory paths in a library message to repository-relative ones.
func (t *tree) clean(msg string) string {
	msg = strings.ReplaceAll(msg, treeRoot+"/", "")
	return strings.ReplaceAll(msg, treeRoot, ".")
}

func (t *tree) inputs() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.read))
	for p := range t.read {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// listings returns the directories the render listed, sorted.
func (t *tree) listings() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.listed))
	for p := range t.listed {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// probes returns the existence checks the render made and what each found.
func (t *tree) probes() map[string]string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]string, len(t.probed))
	for p, found := range t.probed {
		out[p] = found
	}
	return out
}

func (t *tree) noteListed(rel string) {
	t.mu.Lock()
	t.listed[rel] = true
	t.mu.Unlock()
}

// noteProbe records an existence check of rel (repository-relative) and what it found.
func (t *tree) noteProbe(rel string) {
	found := "absent"
	if _, ok := t.files[path.Clean(rel)]; ok {
		found = "file"
	} else if t.mem.IsDir(t.abs(rel)) {
		found = "dir"
	}
	t.mu.Lock()
	t.probed[rel] = found
	t.mu.Unlock()
}

func (t *tree) lastRead() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

func (t *tree) violation() *renderFailure {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.violated
}

func (t *tree) refuse(f *renderFailure) error {
	t.mu.Lock()
	if t.violated == nil {
		t.violated = f
	}
	t.mu.Unlock()
	return f
}

// check returns the repository-relative path, or refuses a path outside the tree.
func (t *tree) check(p string) (string, error) {
	rel, ok := t.rel(p)
	if !ok {
		return "", t.refuse(fail("outside-tree", rel,
			"%s is outside the repository tree: rendering reads only the files of the commit", rel))
	}
	return rel, nil
}

func (t *tree) noteRead(rel string) {
	t.mu.Lock()
	t.read[rel] = true
	t.last = rel
	t.mu.Unlock()
}

// readRel reads a repository-relative file (values files, charts) and records it.
func (t *tree) readRel(rel string) ([]byte, bool) {
	rel = path.Clean(rel)
	content, ok := t.files[rel]
	if ok {
		t.noteRead(rel)
	}
	return content, ok
}

// below lists the files under a repository-relative directory, relative to it.
func (t *tree) below(dir string) map[string][]byte {
	dir = path.Clean(dir)
	out := map[string][]byte{}
	for p, c := range t.files {
		if dir == "." {
			out[p] = c
		} else if strings.HasPrefix(p, dir+"/") {
			out[strings.TrimPrefix(p, dir+"/")] = c
		}
	}
	return out
}

func (t *tree) override(rel string, content []byte) {
	t.mu.Lock()
	t.overrides[rel] = content
	t.mu.Unlock()
}

// --- filesys.FileSystem (read-only, confined) ---

var errReadOnly = fmt.Errorf("the repository tree is read-only during rendering")

func (t *tree) Create(string) (filesys.File, error) { return nil, errReadOnly }
func (t *tree) Mkdir(string) error                  { return errReadOnly }
func (t *tree) MkdirAll(string) error               { return errReadOnly }
func (t *tree) RemoveAll(string) error              { return errReadOnly }
func (t *tree) WriteFile(string, []byte) error      { return errReadOnly }

func (t *tree) Open(p string) (filesys.File, error) {
	rel, err := t.check(p)
	if err != nil {
		return nil, err
	}
	t.noteRead(rel)
	return t.mem.Open(p)
}

func (t *tree) IsDir(p string) bool {
	rel, err := t.check(p)
	if err != nil {
		return false
	}
	t.noteProbe(rel)
	return t.mem.IsDir(p)
}

func (t *tree) ReadDir(p string) ([]string, error) {
	rel, err := t.check(p)
	if err != nil {
		return nil, err
	}
	t.noteListed(rel)
	return t.mem.ReadDir(p)
}

// CleanedAbs resolves followed links like the on-disk filesystem (filepath.EvalSymlinks), so
// Kustomize's root-only load restriction refuses a link out of a kustomization's directory
// exactly as `kustomize build` does.
func (t *tree) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	rel, err := t.check(p)
	if err != nil {
		return "", "", err
	}
	return t.mem.CleanedAbs(t.abs(t.resolve(rel)))
}

func (t *tree) Exists(p string) bool {
	rel, err := t.check(p)
	if err != nil {
		return false
	}
	t.noteProbe(rel)
	return t.mem.Exists(p)
}

func (t *tree) Glob(pattern string) ([]string, error) {
	rel, err := t.check(pattern)
	if err != nil {
		return nil, err
	}
	// A match may appear anywhere below the pattern's first wildcard-free directory.
	dir := rel
	for strings.ContainsAny(dir, "*?[") {
		dir = path.Dir(dir)
	}
	t.noteListed(dir)
	return t.mem.Glob(pattern)
}

func (t *tree) ReadFile(p string) ([]byte, error) {
	rel, err := t.check(p)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	content, overridden := t.overrides[rel]
	t.mu.Unlock()
	if overridden {
		t.noteRead(rel)
		return content, nil
	}
	content, err = t.mem.ReadFile(p)
	if err == nil {
		t.noteRead(rel)
	}
	return content, err
}

func (t *tree) Walk(p string, walkFn filepath.WalkFunc) error {
	rel, err := t.check(p)
	if err != nil {
		return err
	}
	t.noteListed(rel)
	return t.mem.Walk(p, walkFn)
}
