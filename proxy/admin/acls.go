package admin

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ACL is one access control entry on a resource pattern, in Kafka's terms
// (its enum codes).
type ACL struct {
	ResourceType kmsg.ACLResourceType
	ResourceName string
	PatternType  kmsg.ACLResourcePatternType
	Principal    string
	Host         string
	Operation    kmsg.ACLOperation
	Permission   kmsg.ACLPermissionType
}

// ACLFilter selects ACLs as Kafka's AclBindingFilter does: the ANY codes
// and the MATCH pattern type match broadly, and a nil string matches any
// value.
type ACLFilter struct {
	ResourceType kmsg.ACLResourceType
	ResourceName *string
	PatternType  kmsg.ACLResourcePatternType
	Principal    *string
	Host         *string
	Operation    kmsg.ACLOperation
	Permission   kmsg.ACLPermissionType
}

// DescribeACLs returns the ACLs that f matches, in Kafka's order.
func (c *Client) DescribeACLs(ctx context.Context, f ACLFilter) ([]ACL, error) {
	req := kmsg.NewPtrDescribeACLsRequest()
	req.ResourceType, req.ResourceName, req.ResourcePatternType = f.ResourceType, f.ResourceName, f.PatternType
	req.Principal, req.Host = f.Principal, f.Host
	req.Operation, req.PermissionType = f.Operation, f.Permission
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, err
	}
	if err := aclError(resp.ErrorCode, resp.ErrorMessage); err != nil {
		return nil, err
	}
	var out []ACL
	for _, r := range resp.Resources {
		for _, a := range r.ACLs {
			out = append(out, ACL{
				ResourceType: r.ResourceType, ResourceName: r.ResourceName, PatternType: r.ResourcePatternType,
				Principal: a.Principal, Host: a.Host, Operation: a.Operation, Permission: a.PermissionType,
			})
		}
	}
	return out, nil
}

// CreateACLs creates acls in one request; the first that Kafka refuses, in
// the order given, is the error (Kafka may have created the others).
func (c *Client) CreateACLs(ctx context.Context, acls []ACL) error {
	if len(acls) == 0 {
		return nil
	}
	req := kmsg.NewPtrCreateACLsRequest()
	for _, a := range acls {
		cr := kmsg.NewCreateACLsRequestCreation()
		cr.ResourceType, cr.ResourceName, cr.ResourcePatternType = a.ResourceType, a.ResourceName, a.PatternType
		cr.Principal, cr.Host = a.Principal, a.Host
		cr.Operation, cr.PermissionType = a.Operation, a.Permission
		req.Creations = append(req.Creations, cr)
	}
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return err
	}
	if len(resp.Results) != len(acls) {
		return errors.New("kafka answered CreateACLs with a result count unlike the request's")
	}
	for _, r := range resp.Results {
		if err := aclError(r.ErrorCode, r.ErrorMessage); err != nil {
			return err
		}
	}
	return nil
}

// DeleteACLs deletes the ACLs that f matches and returns them. An ACL
// that matched but that Kafka failed to delete is the error.
func (c *Client) DeleteACLs(ctx context.Context, f ACLFilter) ([]ACL, error) {
	req := kmsg.NewPtrDeleteACLsRequest()
	df := kmsg.NewDeleteACLsRequestFilter()
	df.ResourceType, df.ResourceName, df.ResourcePatternType = f.ResourceType, f.ResourceName, f.PatternType
	df.Principal, df.Host = f.Principal, f.Host
	df.Operation, df.PermissionType = f.Operation, f.Permission
	req.Filters = append(req.Filters, df)
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, err
	}
	if len(resp.Results) != 1 {
		return nil, errors.New("kafka answered DeleteACLs without the filter's result")
	}
	r := resp.Results[0]
	if err := aclError(r.ErrorCode, r.ErrorMessage); err != nil {
		return nil, err
	}
	out := make([]ACL, 0, len(r.MatchingACLs))
	for _, m := range r.MatchingACLs {
		if err := aclError(m.ErrorCode, m.ErrorMessage); err != nil {
			return nil, err
		}
		out = append(out, ACL{
			ResourceType: m.ResourceType, ResourceName: m.ResourceName, PatternType: m.ResourcePatternType,
			Principal: m.Principal, Host: m.Host, Operation: m.Operation, Permission: m.PermissionType,
		})
	}
	return out, nil
}

// aclError is the error of a Kafka error code, with Kafka's message.
func aclError(code int16, msg *string) error {
	err := kerr.ErrorForCode(code)
	if err == nil {
		return nil
	}
	if msg != nil {
		return withMessage(err, *msg)
	}
	return err
}
