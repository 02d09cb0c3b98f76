package node_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/tessera-s3/tessera/node"
	"github.com/tessera-s3/tessera/node/nodetest"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRequestLog: at debug level every S3 request is one structured log
// line carrying the request id the client received as x-amz-request-id.
func TestRequestLog(t *testing.T) {
	var buf lockedBuf
	n := nodetest.Start(t, nodetest.WithConfig(func(c *node.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}))
	var reqID string
	_, err := n.S3(t).CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("logged")}, func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Deserialize.Add(middleware.DeserializeMiddlewareFunc("reqid", func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				if r, ok := out.RawResponse.(*smithyhttp.Response); ok {
					reqID = r.Header.Get("x-amz-request-id")
				}
				return out, md, err
			}), middleware.After)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if reqID == "" {
		t.Fatal("no x-amz-request-id")
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.Contains(line, `"msg":"s3 request"`) && strings.Contains(line, `"request_id":"`+reqID+`"`) &&
			strings.Contains(line, `"api":"CreateBucket"`) && strings.Contains(line, `"status":200`) {
			return
		}
	}
	t.Fatalf("no log line for request %s in:\n%s", reqID, buf.String())
}
