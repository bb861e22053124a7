package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"sync"
)

// networkRefusal is recorded when a library tries to reach the network, so the response names
// the URL instead of the library's wrapped message.
var (
	netMu      sync.Mutex
	netAttempt string
)

// refusingTransport fails every HTTP request: rendering uses only the commit's tree.
type refusingTransport struct{}

func (refusingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	netMu.Lock()
	if netAttempt == "" {
		netAttempt = r.URL.String()
	}
	netMu.Unlock()
	return nil, errors.New("network access is disabled in the renderer")
}

// confineProcess removes what a library could use to leave the tree: the network (HTTP and
// DNS), external programs (`git` for remote bases, `helm` for kustomize's helmCharts, exec
// plugins) and the user's configuration directories.
func confineProcess() {
	http.DefaultTransport = refusingTransport{}
	http.DefaultClient = &http.Client{Transport: refusingTransport{}}
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("network access is disabled in the renderer")
	}}
	// exec.LookPath finds nothing on an empty PATH, so `git clone` and exec plugins cannot start.
	_ = os.Setenv("PATH", "")
	empty := os.TempDir() + "/pullbridge-renderer-nohome"
	for _, v := range []string{"HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "KUSTOMIZE_PLUGIN_HOME", "HELM_PLUGINS", "HELM_REPOSITORY_CONFIG", "HELM_REGISTRY_CONFIG"} {
		_ = os.Setenv(v, empty)
	}
}

func networkAttempt() string {
	netMu.Lock()
	defer netMu.Unlock()
	return netAttempt
}
