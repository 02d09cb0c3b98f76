package s3api

import (
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tessera-s3/tessera/erasure"
	"github.com/tessera-s3/tessera/s3api/s3err"
)

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := xml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The expected documents follow the examples of the AWS S3 API reference.
func TestXMLShapes(t *testing.T) {
	ts := time.Date(2009, 10, 12, 17, 50, 30, 0, time.UTC)
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"ListAllMyBucketsResult", &listAllMyBucketsResult{NS: s3NS, Owner: ownerOf("root"),
			Buckets: bucketList{Buckets: []bucketEntry{{Name: "b", CreationDate: xmlTime(ts), BucketRegion: "us-east-1"}}}},
			`<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>root</ID><DisplayName>root</DisplayName></Owner>` +
				`<Buckets><Bucket><Name>b</Name><CreationDate>2009-10-12T17:50:30.000Z</CreationDate><BucketRegion>us-east-1</BucketRegion></Bucket></Buckets></ListAllMyBucketsResult>`},
		{"empty ListAllMyBucketsResult", &listAllMyBucketsResult{NS: s3NS, Owner: ownerOf("root")},
			`<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>root</ID><DisplayName>root</DisplayName></Owner><Buckets></Buckets></ListAllMyBucketsResult>`},
		{"LocationConstraint us-east-1", &locationConstraint{NS: s3NS},
			`<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>`},
		{"LocationConstraint eu", &locationConstraint{NS: s3NS, Location: "eu-west-1"},
			`<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>`},
		{"Tagging", &tagging{NS: s3NS, TagSet: tagSet{Tags: []tag{{"k", "v"}}}},
			`<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>`},
		{"empty Tagging", &tagging{NS: s3NS},
			`<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet></TagSet></Tagging>`},
		{"ListBucketResult", &listBucketResult{NS: s3NS, Name: "b", MaxKeys: 1000, Delimiter: "/", IsTruncated: true, NextMarker: "p/",
			Contents:       []objectEntry{{Key: "a&b", LastModified: xmlTime(ts), ETag: `"e"`, Size: 3, Owner: ownerOf("o"), StorageClass: "STANDARD"}},
			CommonPrefixes: []commonPrefix{{"p/"}}},
			`<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><Marker></Marker><NextMarker>p/</NextMarker>` +
				`<MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter><IsTruncated>true</IsTruncated><Contents><Key>a&amp;b</Key>` +
				`<LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>&#34;e&#34;</ETag><Size>3</Size><Owner><ID>o</ID><DisplayName>o</DisplayName></Owner>` +
				`<StorageClass>STANDARD</StorageClass></Contents><CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes></ListBucketResult>`},
		{"ListBucketResult v2", &listBucketResultV2{NS: s3NS, Name: "b", KeyCount: 1, MaxKeys: 1, IsTruncated: true, NextContinuationToken: "t",
			Contents: []objectEntry{{Key: "k", LastModified: xmlTime(ts), ETag: `"e"`, Size: 1, StorageClass: "STANDARD"}}},
			`<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix></Prefix><NextContinuationToken>t</NextContinuationToken>` +
				`<KeyCount>1</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>true</IsTruncated><Contents><Key>k</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified>` +
				`<ETag>&#34;e&#34;</ETag><Size>1</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>`},
		{"CopyObjectResult", &copyObjectResult{NS: s3NS, LastModified: xmlTime(ts), ETag: `"e"`},
			`<CopyObjectResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>&#34;e&#34;</ETag></CopyObjectResult>`},
		{"InitiateMultipartUploadResult", &initiateMultipartUploadResult{NS: s3NS, Bucket: "b", Key: "k", UploadID: "u"},
			`<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId></InitiateMultipartUploadResult>`},
		{"CompleteMultipartUploadResult", &completeMultipartUploadResult{NS: s3NS, Location: "http://h/b/k", Bucket: "b", Key: "k", ETag: `"e-2"`, xmlChecksums: xmlChecksums{ChecksumCRC32: "AAAAAA==-2"}, ChecksumType: "COMPOSITE"},
			`<CompleteMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Location>http://h/b/k</Location><Bucket>b</Bucket><Key>k</Key>` +
				`<ETag>&#34;e-2&#34;</ETag><ChecksumCRC32>AAAAAA==-2</ChecksumCRC32><ChecksumType>COMPOSITE</ChecksumType></CompleteMultipartUploadResult>`},
		{"DeleteResult", &deleteResult{NS: s3NS, Deleted: []deletedEntry{{Key: "a"}}, Errors: []deleteError{{Key: "b", Code: "AccessDenied", Message: "Access Denied"}}},
			`<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>`},
		{"VersioningConfiguration", &versioningConfiguration{NS: s3NS},
			`<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></VersioningConfiguration>`},
		{"AccessControlPolicy", ownerACL("o"),
			`<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>o</ID><DisplayName>o</DisplayName></Owner><AccessControlList>` +
				`<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>o</ID><DisplayName>o</DisplayName></Grantee>` +
				`<Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>`},
		{"ListPartsResult", &listPartsResult{NS: s3NS, Bucket: "b", Key: "k", UploadID: "u", Initiator: ownerOf("o"), Owner: ownerOf("o"), StorageClass: "STANDARD",
			NextPartNumberMarker: 1, MaxParts: 1000, Parts: []partEntry{{PartNumber: 1, LastModified: xmlTime(ts), ETag: `"e"`, Size: 5}}},
			`<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><Key>k</Key><UploadId>u</UploadId>` +
				`<Initiator><ID>o</ID><DisplayName>o</DisplayName></Initiator><Owner><ID>o</ID><DisplayName>o</DisplayName></Owner><StorageClass>STANDARD</StorageClass>` +
				`<PartNumberMarker>0</PartNumberMarker><NextPartNumberMarker>1</NextPartNumberMarker><MaxParts>1000</MaxParts><IsTruncated>false</IsTruncated>` +
				`<Part><PartNumber>1</PartNumber><LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>&#34;e&#34;</ETag><Size>5</Size></Part></ListPartsResult>`},
		{"ListMultipartUploadsResult", &listMultipartUploadsResult{NS: s3NS, Bucket: "b", MaxUploads: 1000,
			Uploads: []uploadEntry{{Key: "k", UploadID: "u", Initiator: ownerOf("o"), Owner: ownerOf("o"), StorageClass: "STANDARD", Initiated: xmlTime(ts)}}},
			`<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>b</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>` +
				`<NextKeyMarker></NextKeyMarker><NextUploadIdMarker></NextUploadIdMarker><Prefix></Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>` +
				`<Upload><Key>k</Key><UploadId>u</UploadId><Initiator><ID>o</ID><DisplayName>o</DisplayName></Initiator><Owner><ID>o</ID><DisplayName>o</DisplayName></Owner>` +
				`<StorageClass>STANDARD</StorageClass><Initiated>2009-10-12T17:50:30.000Z</Initiated></Upload></ListMultipartUploadsResult>`},
	}
	for _, tt := range tests {
		if got := marshal(t, tt.v); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestObjectEntriesEncoding(t *testing.T) {
	objs := []erasure.ObjectInfo{{Key: "a b+c/é", ETag: "e", Size: 1, Owner: "o", ModTime: time.Unix(0, 0)}}
	got := objectEntries(objs, true, false)
	if got[0].Key != "a+b%2Bc/%C3%A9" || got[0].Owner != nil || got[0].ETag != `"e"` || got[0].StorageClass != "STANDARD" {
		t.Fatalf("got %+v", got[0])
	}
	got = objectEntries(objs, false, true)
	if got[0].Key != "a b+c/é" || got[0].Owner == nil {
		t.Fatalf("got %+v", got[0])
	}
	if cp := commonPrefixes([]string{"a b/"}, true); cp[0].Prefix != "a+b/" {
		t.Fatalf("prefix %q", cp[0].Prefix)
	}
}

func TestParseRequestDocuments(t *testing.T) {
	loc, err := parseCreateBucketConfiguration([]byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>`))
	if err != nil || loc != "eu-west-1" {
		t.Fatalf("CreateBucketConfiguration: %q %v", loc, err)
	}
	if _, err := parseCreateBucketConfiguration([]byte(`<Other/>`)); !errors.Is(err, s3err.ErrMalformedXML) {
		t.Fatalf("wrong root: %v", err)
	}

	parts, err := parseCompleteMultipartUpload([]byte(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
		`<Part><PartNumber>1</PartNumber><ETag>"a"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part><Part><ETag>b</ETag><PartNumber>3</PartNumber></Part></CompleteMultipartUpload>`))
	if err != nil || len(parts) != 2 || parts[0].ETag != `"a"` || parts[0].ChecksumCRC32 != "AAAAAA==" || parts[1].PartNumber != 3 {
		t.Fatalf("Complete: %+v %v", parts, err)
	}
	for body, want := range map[string]error{
		`<CompleteMultipartUpload></CompleteMultipartUpload>`:                                                                               s3err.ErrMalformedXML,
		`<CompleteMultipartUpload><Part><PartNumber>2</PartNumber></Part><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>`: s3err.ErrInvalidPartOrder,
		`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber></Part><Part><PartNumber>1</PartNumber></Part></CompleteMultipartUpload>`: s3err.ErrInvalidPartOrder,
		`<CompleteMultipartUpload><Part><PartNumber>10001</PartNumber></Part></CompleteMultipartUpload>`:                                    s3err.ErrInvalidPartNumber,
		`<CompleteMultipartUpload><Part><PartNumber>x</PartNumber></Part></CompleteMultipartUpload>`:                                        s3err.ErrMalformedXML,
		`<CompleteMultipartUpload><Part>`: s3err.ErrMalformedXML,
		`<Delete></Delete>`:               s3err.ErrMalformedXML,
	} {
		if _, err := parseCompleteMultipartUpload([]byte(body)); !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", body, err, want)
		}
	}

	d, err := parseDelete([]byte(`<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>a</Key></Object><Object><Key>b</Key><VersionId>null</VersionId></Object></Delete>`))
	if err != nil || !d.Quiet || len(d.Objects) != 2 || d.Objects[1].VersionID != "null" {
		t.Fatalf("Delete: %+v %v", d, err)
	}
	big := "<Delete>" + strings.Repeat("<Object><Key>k</Key></Object>", 1001) + "</Delete>"
	if _, err := parseDelete([]byte(big)); !errors.Is(err, s3err.ErrMalformedXML) {
		t.Fatalf("1001 keys: %v", err)
	}
	if _, err := parseDelete([]byte(`<Delete><Quiet>true</Quiet></Delete>`)); !errors.Is(err, s3err.ErrMalformedXML) {
		t.Fatalf("no keys: %v", err)
	}

	tags, err := parseTaggingXML([]byte(`<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>`), maxObjectTags)
	if err != nil || len(tags) != 1 || tags[0] != (tag{"a", "1"}) {
		t.Fatalf("Tagging: %+v %v", tags, err)
	}
	if _, err := parseTaggingXML([]byte(`<Tagging><TagSet>`), maxObjectTags); !errors.Is(err, s3err.ErrMalformedXML) {
		t.Fatalf("truncated tagging: %v", err)
	}
}
