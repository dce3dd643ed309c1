package revision

import "github.com/deplight/ecs-rollback/internal/imageref"

// findContainer returns the container called name, or the first container
// when name is empty.
func findContainer(rev Revision, name string) (Container, bool) {
	if name == "" {
		if len(rev.Containers) == 0 {
			return Container{}, false
		}
		return rev.Containers[0], true
	}
	for _, c := range rev.Containers {
		if c.Name == name {
			return c, true
		}
	}
	return Container{}, false
}

// ImageTag returns, for display, the tag of the image of the container called
// container, or of the first container when container is empty; an image
// pinned only by digest gives its short digest (see [imageref.Ref.Display]).
// It returns "" when there is no such container or its image has neither.
func ImageTag(rev Revision, container string) string {
	c, ok := findContainer(rev, container)
	if !ok {
		return ""
	}
	return imageref.Parse(c.Image).Display()
}
