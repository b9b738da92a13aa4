// Command checkmanifests reads rendered Kubernetes manifests (kustomize build output) on stdin and
// fails when they miss what a platform team relies on: probes, resources, non-root, secrets by
// reference, a pinned image, and the full set of objects per service.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

func get(o any, path ...string) any {
	for _, p := range path {
		m, ok := o.(map[string]any)
		if !ok {
			return nil
		}
		o = m[p]
	}
	return o
}

func list(o any) []any {
	l, _ := o.([]any)
	return l
}

func main() {
	if err := check(os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, "checkmanifests:", err)
		os.Exit(1)
	}
}

func check(r io.Reader) error {
	dec := yaml.NewDecoder(r)
	kinds := map[string]int{}
	var errs []error
	for {
		var o map[string]any
		if err := dec.Decode(&o); err == io.EOF {
			break
		} else if err != nil {
			return fmt.Errorf("not YAML: %w", err)
		}
		if o == nil {
			continue
		}
		kind, _ := o["kind"].(string)
		name, _ := get(o, "metadata", "name").(string)
		if o["apiVersion"] == nil || kind == "" || name == "" {
			errs = append(errs, fmt.Errorf("object without apiVersion/kind/metadata.name: %v", o))
			continue
		}
		if get(o, "metadata", "namespace") == nil {
			errs = append(errs, fmt.Errorf("%s/%s has no namespace", kind, name))
		}
		kinds[kind]++
		if kind == "Deployment" {
			errs = append(errs, checkDeployment(name, o)...)
		}
	}
	for _, k := range []string{"Deployment", "Service", "ConfigMap", "PodDisruptionBudget", "HorizontalPodAutoscaler"} {
		if kinds[k] == 0 {
			errs = append(errs, fmt.Errorf("no %s", k))
		}
	}
	return errors.Join(errs...)
}

func checkDeployment(name string, o map[string]any) []error {
	var errs []error
	fail := func(format string, a ...any) { errs = append(errs, fmt.Errorf("Deployment/"+name+": "+format, a...)) }
	sel, _ := get(o, "spec", "selector", "matchLabels").(map[string]any)
	labels, _ := get(o, "spec", "template", "metadata", "labels").(map[string]any)
	if len(sel) == 0 {
		fail("no selector")
	}
	for k, v := range sel {
		if labels[k] != v {
			fail("selector %s=%v does not match the pod labels", k, v)
		}
	}
	pod := get(o, "spec", "template", "spec")
	if get(pod, "securityContext", "runAsNonRoot") != true {
		fail("pods must run as non-root")
	}
	containers := append(list(get(pod, "containers")), list(get(pod, "initContainers"))...)
	if len(list(get(pod, "initContainers"))) == 0 {
		fail("no migration init container")
	}
	for _, c := range containers {
		cname, _ := get(c, "name").(string)
		image, _ := get(c, "image").(string)
		if !strings.Contains(image, ":") || strings.HasSuffix(image, ":latest") {
			fail("container %s: image %q is not pinned to a tag", cname, image)
		}
		if get(c, "resources", "requests") == nil || get(c, "resources", "limits") == nil {
			fail("container %s: resource requests and limits are required", cname)
		}
		for _, e := range list(get(c, "env")) {
			if n, _ := get(e, "name").(string); n == "DATABASE_URL" && get(e, "valueFrom", "secretKeyRef") == nil {
				fail("container %s: DATABASE_URL must come from a Secret", cname)
			}
		}
	}
	for _, c := range list(get(pod, "containers")) {
		cname, _ := get(c, "name").(string)
		if get(c, "readinessProbe") == nil || get(c, "livenessProbe") == nil {
			fail("container %s: readiness and liveness probes are required", cname)
		}
	}
	return errs
}
