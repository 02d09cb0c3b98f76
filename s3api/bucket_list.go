package s3api

import (
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/valyala/fasthttp"

	"github.com/tessera-s3/tessera/s3api/s3err"
)

// maxListBuckets caps max-buckets.
const maxListBuckets = 10000

// listBuckets handles ListBuckets (GET /). It lists the buckets the caller
// owns or may list (root sees all), optionally filtered by prefix and
// paginated by max-buckets / continuation-token.
func (s *Server) listBuckets(r *request) (*response, error) {
	q := r.ctx.QueryArgs()
	prefix := string(q.Peek("prefix"))
	limit := maxListBuckets
	paginated := false
	if v := q.Peek("max-buckets"); v != nil {
		n, err := fasthttp.ParseUint(v)
		if err != nil || n < 1 || n > maxListBuckets {
			return nil, s3err.ErrInvalidArgument.WithMessage("Argument max-buckets must be an integer between 1 and 10000")
		}
		limit, paginated = n, true
	}
	after := ""
	if v := q.Peek("continuation-token"); v != nil {
		b, err := base64.RawURLEncoding.DecodeString(string(v))
		if err != nil {
			return nil, s3err.ErrInvalidArgument.WithMessage("The continuation token provided is incorrect")
		}
		after = string(b)
	}
	res := &listAllMyBucketsResult{NS: s3NS, Owner: ownerOf(r.id.owner()), Prefix: prefix}
	owner := r.id.owner()
	for _, b := range s.buckets.Buckets() {
		if b.Name <= after || !strings.HasPrefix(b.Name, prefix) {
			continue
		}
		if !r.id.Root && b.Owner != owner &&
			s.authorize(r, "s3:ListBucket", b.Name, "") != nil {
			continue
		}
		if len(res.Buckets.Buckets) == limit {
			if paginated {
				last := res.Buckets.Buckets[len(res.Buckets.Buckets)-1].Name
				res.ContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(last))
			}
			break
		}
		res.Buckets.Buckets = append(res.Buckets.Buckets, bucketEntry{
			Name:         b.Name,
			CreationDate: xmlTime(b.Created),
			BucketRegion: s.cfg.Region,
		})
	}
	return r.respondXML(http.StatusOK, res), nil
}
