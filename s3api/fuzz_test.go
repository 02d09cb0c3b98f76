package s3api

import (
	"errors"
	"testing"

	"github.com/tessera-s3/tessera/s3api/s3err"
)

// Request bodies are untrusted: parsing must never panic and must fail
// only with S3 errors.

func checkS3Err(t *testing.T, err error) {
	t.Helper()
	var e *s3err.Error
	if err != nil && !errors.As(err, &e) {
		t.Fatalf("non-S3 error %T: %v", err, err)
	}
	if e != nil && e.HTTPStatus != 400 {
		t.Fatalf("unexpected status %d for %v", e.HTTPStatus, e)
	}
}

func FuzzCompleteMultipartUpload(f *testing.F) {
	f.Add([]byte(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber><ETag>"a"</ETag></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Part><PartNumber>2</PartNumber><ETag>b</ETag></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>2</PartNumber></Part><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload>`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, body []byte) {
		parts, err := parseCompleteMultipartUpload(body)
		checkS3Err(t, err)
		if err == nil {
			if len(parts) == 0 || len(parts) > maxParts {
				t.Fatalf("%d parts accepted", len(parts))
			}
			for i := range parts {
				if parts[i].PartNumber < 1 || parts[i].PartNumber > maxParts || i > 0 && parts[i].PartNumber <= parts[i-1].PartNumber {
					t.Fatalf("bad part list accepted: %+v", parts)
				}
			}
		}
	})
}

func FuzzDeleteObjects(f *testing.F) {
	f.Add([]byte(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>a</Key></Object></Delete>`))
	f.Add([]byte(`<Delete><Object><Key>a</Key><VersionId>null</VersionId></Object><Object><Key>b&amp;c</Key></Object></Delete>`))
	f.Add([]byte(`<Delete><Quiet>maybe</Quiet><Object><Key>a</Key></Object></Delete>`))
	f.Add([]byte(`<Delete></Delete>`))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><Delete><Object><Key>&a;</Key></Object></Delete>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := parseDelete(body)
		checkS3Err(t, err)
		if err == nil && (len(d.Objects) == 0 || len(d.Objects) > maxDeleteObjects) {
			t.Fatalf("%d objects accepted", len(d.Objects))
		}
	})
}

func FuzzTagging(f *testing.F) {
	f.Add([]byte(`<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>`))
	f.Add([]byte(`<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value></Tag></TagSet></Tagging>`))
	f.Add([]byte(`<Tagging><TagSet><Tag><Key>aws:x</Key><Value></Value></Tag></TagSet></Tagging>`))
	f.Add([]byte(`<Tagging><TagSet/></Tagging>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, max := range []int{maxObjectTags, maxBucketTags} {
			tags, err := parseTaggingXML(body, max)
			checkS3Err(t, err)
			if err != nil {
				continue
			}
			if len(tags) > max {
				t.Fatalf("%d tags accepted", len(tags))
			}
			// What is accepted must survive the stored form.
			back := decodeTags(encodeTags(tags))
			if len(back) != len(tags) || validateTags(back, max) != nil {
				t.Fatalf("round trip %+v -> %+v", tags, back)
			}
			if got := tagsToMap(back); len(got) != len(tags) {
				t.Fatalf("round trip lost tags")
			}
			for _, tg := range tags {
				if tagsToMap(back)[tg.Key] != tg.Value {
					t.Fatalf("round trip changed %q", tg.Key)
				}
			}
		}
	})
}

func FuzzCreateBucketConfiguration(f *testing.F) {
	f.Add([]byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`))
	f.Add([]byte(`<CreateBucketConfiguration><LocationConstraint></LocationConstraint></CreateBucketConfiguration>`))
	f.Add([]byte(`<CreateBucketConfiguration><Bucket><Type>Directory</Type></Bucket></CreateBucketConfiguration>`))
	f.Add([]byte(`<CreateBucketConfiguration`))
	s := &Server{cfg: DefaultConfig()}
	f.Fuzz(func(t *testing.T, body []byte) {
		loc, err := parseCreateBucketConfiguration(body)
		checkS3Err(t, err)
		if err != nil {
			return
		}
		err = s.checkLocation(loc)
		checkS3Err(t, err)
		if (err == nil) != (loc == "" || loc == "us-east-1") {
			t.Fatalf("location %q: %v", loc, err)
		}
	})
}

func FuzzParseRange(f *testing.F) {
	f.Add([]byte("bytes=0-9"), int64(100))
	f.Add([]byte("bytes=-5"), int64(3))
	f.Add([]byte("bytes=5-"), int64(0))
	f.Fuzz(func(t *testing.T, h []byte, size int64) {
		if size < 0 {
			size = -size
		}
		if size < 0 {
			return
		}
		br, res := parseRange(h, size)
		if res == rangeOK && (br.first < 0 || br.length <= 0 || br.first+br.length > size) {
			t.Fatalf("range %+v outside object of %d", br, size)
		}
	})
}

func FuzzParseTarget(f *testing.F) {
	f.Add([]byte("/b/k"), false)
	f.Add([]byte("/b/a%2F%zz"), true)
	f.Add([]byte("//"), false)
	f.Fuzz(func(t *testing.T, path []byte, vhost bool) {
		r := newRequest()
		var vb []byte
		if vhost {
			vb = []byte("bucket")
		}
		err := r.parseTarget(vb, path)
		checkS3Err(t, err)
		if err == nil && r.hasKey && (r.bucket == "" || r.key == "") {
			t.Fatalf("hasKey with bucket %q key %q", r.bucket, r.key)
		}
	})
}
