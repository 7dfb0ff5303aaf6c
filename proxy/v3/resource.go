package v3

import (
	"net/url"
	"strings"

	"github.com/bytedance/sonic"
	"github.com/valyala/fasthttp"

	"github.com/krest-dev/krest/proxy/rest"
)

// Shapes every v3 resource shares.
type (
	// Metadata is a resource's "metadata": its URL and, for resources
	// that have one, its Confluent resource name (CRN).
	Metadata struct {
		Self         string `json:"self"`
		ResourceName string `json:"resource_name,omitempty"`
	}
	// ListMetadata is a collection's "metadata"; next is always null, as
	// Confluent's proxy pages nothing.
	ListMetadata struct {
		Self string  `json:"self"`
		Next *string `json:"next"`
	}
	// Related is a link to another resource.
	Related struct {
		Related string `json:"related"`
	}
	// List is a collection of resources of kind Kind.
	List[T any] struct {
		Kind     string       `json:"kind"`
		Metadata ListMetadata `json:"metadata"`
		Data     []T          `json:"data"`
	}
)

// newList returns the collection at self, never with a null data.
func newList[T any](kind, self string, data []T) List[T] {
	if data == nil {
		data = []T{}
	}
	return List[T]{Kind: kind, Metadata: ListMetadata{Self: self}, Data: data}
}

// urls builds the links of one request: absolute URLs on the request's
// scheme and authority (rest.BaseURL), and CRNs under
// confluent.resource.name.authority.
type urls struct {
	base    string // http://host:port/v3/clusters/{cluster}
	crnBase string // crn://authority/kafka={cluster}
}

func (a *API) urls(ctx *fasthttp.RequestCtx, cluster string) urls {
	return urls{
		base:    rest.BaseURL(ctx, a.Config) + "/v3/clusters/" + url.PathEscape(cluster),
		crnBase: "crn://" + a.Config.CRNAuthority + "/kafka=" + cluster,
	}
}

// self is the URL of the cluster's resource at parts (each escaped).
func (u urls) self(parts ...string) string {
	var b strings.Builder
	b.WriteString(u.base)
	for _, p := range parts {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(p))
	}
	return b.String()
}

// rel is a link to self(parts...).
func (u urls) rel(parts ...string) Related { return Related{Related: u.self(parts...)} }

// crn is the resource name of the cluster's resource at kind=name pairs.
func (u urls) crn(pairs ...string) string {
	var b strings.Builder
	b.WriteString(u.crnBase)
	for i := 0; i+1 < len(pairs); i += 2 {
		b.WriteByte('/')
		b.WriteString(pairs[i])
		b.WriteByte('=')
		b.WriteString(pairs[i+1])
	}
	return b.String()
}

// meta is the metadata of the resource at path parts with CRN pairs.
func (u urls) meta(parts []string, pairs ...string) Metadata {
	return Metadata{Self: u.self(parts...), ResourceName: u.crn(pairs...)}
}

// entities writes v3's JSON entities, application/json.
var entities = rest.Entities{JSON: sonic.ConfigStd, ContentType: rest.MediaJSON}

// writeJSON answers v with status.
func writeJSON(ctx *fasthttp.RequestCtx, status int, v any) error {
	return entities.Write(ctx, status, v)
}

// noContent answers 204.
func noContent(ctx *fasthttp.RequestCtx) error {
	ctx.SetStatusCode(fasthttp.StatusNoContent)
	ctx.ResetBody()
	return nil
}
