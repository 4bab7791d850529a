/* xml: the strict reader of STS answers. */
#include <stdlib.h>
#include <string.h>

#include "ctest.h"
#include "xml.h"

/* AssumeRole, as documented (the namespace, indentation and a long token). */
static const char assume_role[] =
    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <AssumeRoleResult>\n"
    "  <SourceIdentity>Alice</SourceIdentity>\n"
    "    <AssumedRoleUser>\n"
    "      <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>\n"
    "      <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>\n"
    "    </AssumedRoleUser>\n"
    "    <Credentials>\n"
    "      <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>\n"
    "      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\n"
    "      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW"
    "LWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmU"
    "pp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0r"
    "KwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQw"
    "j2ICCR/oLxBA==</SessionToken>\n"
    "      <Expiration>2019-11-09T13:34:41Z</Expiration>\n"
    "    </Credentials>\n"
    "    <PackedPolicySize>6</PackedPolicySize>\n"
    "  </AssumeRoleResult>\n"
    "  <ResponseMetadata>\n"
    "    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n"
    "  </ResponseMetadata>\n"
    "</AssumeRoleResponse>";

/* AssumeRoleWithWebIdentity (its Credentials come in another order), with an
 * XML declaration as STS sends it. */
static const char web_identity[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <AssumeRoleWithWebIdentityResult>\n"
    "    <SubjectFromWebIdentityToken>amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A"
    "</SubjectFromWebIdentityToken>\n"
    "    <Audience>client.5498841531868486423.1548@apps.example.com</Audience>\n"
    "    <AssumedRoleUser>\n"
    "      <Arn>arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1</Arn>\n"
    "      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:app1</AssumedRoleId>\n"
    "    </AssumedRoleUser>\n"
    "    <Credentials>\n"
    "      <SessionToken>AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE</SessionToken>\n"
    "      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\n"
    "      <Expiration>2014-10-24T23:00:23Z</Expiration>\n"
    "      <AccessKeyId>ASgeIAIOSFODNN7EXAMPLE</AccessKeyId>\n"
    "    </Credentials>\n"
    "    <SourceIdentity>SourceIdentityValue</SourceIdentity>\n"
    "    <Provider>www.amazon.com</Provider>\n"
    "  </AssumeRoleWithWebIdentityResult>\n"
    "  <ResponseMetadata>\n"
    "    <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>\n"
    "  </ResponseMetadata>\n"
    "</AssumeRoleWithWebIdentityResponse>\n";

static const char error_response[] =
    "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <Error>\n"
    "    <Type>Sender</Type>\n"
    "    <Code>AccessDenied</Code>\n"
    "    <Message>User: arn:aws:iam::123456789012:user/alice is not authorized to perform: "
    "sts:AssumeRole on resource: arn:aws:iam::123456789012:role/demo</Message>\n"
    "  </Error>\n"
    "  <RequestId>4d0ac5a1-ec70-4b40-bfc8-0123456789ab</RequestId>\n"
    "</ErrorResponse>\n";

/* An error whose message has entities in it (STS escapes quotes). */
static const char error_entities[] =
    "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
    "<Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>"
    "<Message>Couldn&apos;t retrieve verification key from your identity provider, "
    "&quot;https://idp.example.com&quot; &lt;see docs&gt; &amp; retry</Message>"
    "</Error><RequestId>1</RequestId></ErrorResponse>";

/* The result of xml_text on the first n bytes of d, copied into a buffer of
 * exactly n bytes (so that any read past the end is caught by the sanitizers
 * and valgrind): the text, "(none)", or "(error)"; *rc_out gets the rc and
 * the last error stays in last_err. */
static omics_error last_err;
static char last_text[4096];

static int run_n(const char *d, size_t n, const char *path)
{
    char *copy = malloc(n ? n : 1);
    if (!copy)
        return -2;
    memcpy(copy, d, n);
    buf b;
    buf_init(&b);
    omics_error_clear(&last_err);
    int rc = xml_text(copy, n, path, &b, &last_err);
    snprintf(last_text, sizeof last_text, "%s",
             rc == 1 ? buf_str(&b) : rc == 0 ? "(none)" : "(error)");
    if (rc != 1 && b.len != 0)
        rc = -3; /* out must be empty then */
    buf_free(&b);
    free(copy);
    return rc;
}

static const char *text(const char *d, const char *path)
{
    run_n(d, strlen(d), path);
    return last_text;
}

static const char *root(const char *d, size_t n)
{
    static char out[256];
    buf b;
    buf_init(&b);
    omics_error_clear(&last_err);
    int rc = xml_root(d, n, &b, &last_err);
    snprintf(out, sizeof out, "%s", rc == 0 ? buf_str(&b) : "(error)");
    buf_free(&b);
    return out;
}

/* The document is rejected as malformed, with a message naming an offset. */
static int rejected_n(const char *d, size_t n)
{
    int rc = run_n(d, n, "a");
    int ok = rc == -1 && last_err.kind == OMICS_EPARSE &&
             strcmp(last_err.code, "XmlParseError") == 0 && last_err.message &&
             strstr(last_err.message, " at byte ");
    if (!ok)
        fprintf(stderr, "  not rejected (rc %d): \"%.*s\"\n", rc, (int)(n > 80 ? 80 : n), d);
    return ok;
}

static int rejected(const char *d)
{
    return rejected_n(d, strlen(d));
}

static int message_has(const char *what)
{
    int ok = last_err.message && strstr(last_err.message, what);
    if (!ok)
        fprintf(stderr, "  message \"%s\" lacks \"%s\"\n",
                last_err.message ? last_err.message : "(none)", what);
    return ok;
}

static void test_sts_documents(void)
{
    const char *cr = "AssumeRoleResponse/AssumeRoleResult/Credentials/";
    char path[200];
    snprintf(path, sizeof path, "%sAccessKeyId", cr);
    CHECK_STR(text(assume_role, path), "ASIAIOSFODNN7EXAMPLE");
    snprintf(path, sizeof path, "%sSecretAccessKey", cr);
    CHECK_STR(text(assume_role, path), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
    snprintf(path, sizeof path, "%sSessionToken", cr);
    CHECK(run_n(assume_role, strlen(assume_role), path) == 1);
    CHECK(strncmp(last_text, "AQoDYXdzEPT//////////wEXAMPLE", 29) == 0);
    CHECK(strlen(last_text) > 300 && last_text[strlen(last_text) - 1] == '=');
    snprintf(path, sizeof path, "%sExpiration", cr);
    CHECK_STR(text(assume_role, path), "2019-11-09T13:34:41Z");
    CHECK_STR(text(assume_role, "AssumeRoleResponse/ResponseMetadata/RequestId"),
              "c6104cbe-af31-11e0-8154-cbc7ccf896c7");
    CHECK_STR(text(assume_role, "AssumeRoleResponse/AssumeRoleResult/PackedPolicySize"), "6");
    CHECK_STR(root(assume_role, strlen(assume_role)), "AssumeRoleResponse");
    /* absent: 0, out empty */
    snprintf(path, sizeof path, "%sNope", cr);
    CHECK(run_n(assume_role, strlen(assume_role), path) == 0);
    CHECK(run_n(assume_role, strlen(assume_role), "ErrorResponse/Error/Code") == 0);
    CHECK(run_n(assume_role, strlen(assume_role), "AccessKeyId") == 0);
    /* the whole path counts: AccessKeyId is not a child of AssumeRoleResult */
    CHECK(run_n(assume_role, strlen(assume_role),
                "AssumeRoleResponse/AssumeRoleResult/AccessKeyId") == 0);
    /* too deep, past the leaf */
    snprintf(path, sizeof path, "%sAccessKeyId/X", cr);
    CHECK(run_n(assume_role, strlen(assume_role), path) == 0);

    const char *wr = "AssumeRoleWithWebIdentityResponse/AssumeRoleWithWebIdentityResult/";
    snprintf(path, sizeof path, "%sCredentials/AccessKeyId", wr);
    CHECK_STR(text(web_identity, path), "ASgeIAIOSFODNN7EXAMPLE");
    snprintf(path, sizeof path, "%sCredentials/SecretAccessKey", wr);
    CHECK_STR(text(web_identity, path), "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
    snprintf(path, sizeof path, "%sCredentials/SessionToken", wr);
    CHECK_STR(text(web_identity, path), "AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE");
    snprintf(path, sizeof path, "%sCredentials/Expiration", wr);
    CHECK_STR(text(web_identity, path), "2014-10-24T23:00:23Z");
    snprintf(path, sizeof path, "%sAssumedRoleUser/Arn", wr);
    CHECK_STR(text(web_identity, path),
              "arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1");
    snprintf(path, sizeof path, "%sProvider", wr);
    CHECK_STR(text(web_identity, path), "www.amazon.com");
    CHECK_STR(root(web_identity, strlen(web_identity)), "AssumeRoleWithWebIdentityResponse");

    CHECK_STR(text(error_response, "ErrorResponse/Error/Code"), "AccessDenied");
    CHECK_STR(text(error_response, "ErrorResponse/Error/Type"), "Sender");
    CHECK_STR(text(error_response, "ErrorResponse/Error/Message"),
              "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: "
              "sts:AssumeRole on resource: arn:aws:iam::123456789012:role/demo");
    CHECK_STR(text(error_response, "ErrorResponse/RequestId"),
              "4d0ac5a1-ec70-4b40-bfc8-0123456789ab");
    CHECK_STR(root(error_response, strlen(error_response)), "ErrorResponse");
    CHECK(run_n(error_response, strlen(error_response),
                "AssumeRoleResponse/AssumeRoleResult/Credentials/AccessKeyId") == 0);

    CHECK_STR(text(error_entities, "ErrorResponse/Error/Code"), "InvalidIdentityToken");
    CHECK_STR(text(error_entities, "ErrorResponse/Error/Message"),
              "Couldn't retrieve verification key from your identity provider, "
              "\"https://idp.example.com\" <see docs> & retry");
}

static void test_entities_and_references(void)
{
    CHECK_STR(text("<a>&lt;&gt;&amp;&apos;&quot;</a>", "a"), "<>&'\"");
    CHECK_STR(text("<a>x&#65;&#x42;&#x63;y</a>", "a"), "xABcy");
    CHECK_STR(text("<a>&#233;&#xE9;&#x20AC;&#x1F600;&#128512;</a>", "a"),
              "\xC3\xA9\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF0\x9F\x98\x80");
    CHECK_STR(text("<a>&#x10FFFF;&#xD7FF;&#xE000;&#xFFFD;</a>", "a"),
              "\xF4\x8F\xBF\xBF\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBD");
    CHECK_STR(text("<a>&#0000000065;&#x0000041;</a>", "a"), "AA"); /* leading zeros */
    CHECK_STR(text("<a>&#x1f600;&#xaBc;</a>", "a"), "\xF0\x9F\x98\x80\xE0\xAA\xBC");
    CHECK_STR(text("<a>&#9;&#10;&#13;</a>", "a"), "\t\n\r");       /* CR by reference stays */
    /* line ends: CR LF and lone CR become LF */
    CHECK_STR(text("<a>1\r\n2\r3\n4\r\r\n5</a>", "a"), "1\n2\n3\n4\n\n5");
    /* references in attribute values are checked, not returned */
    CHECK_STR(text("<a x=\"&lt;&#65;&quot;\" y='&apos;\"'>v</a>", "a"), "v");
    /* UTF-8 text passes through */
    CHECK_STR(text("<a>caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80</a>", "a"),
              "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80");
    /* '>' is allowed in text and in attribute values */
    CHECK_STR(text("<a x='>'>1 > 0</a>", "a"), "1 > 0");
    CHECK_STR(text("<a>]] ]></a>", "a"), "]] ]>");
}

static void test_cdata_comments_pis(void)
{
    CHECK_STR(text("<a><![CDATA[<b>&amp;</b> ]] ]>]]></a>", "a"), "<b>&amp;</b> ]] ]>");
    CHECK_STR(text("<a>x<![CDATA[]]>y</a>", "a"), "xy");
    CHECK_STR(text("<a><![CDATA[1\r\n2]]></a>", "a"), "1\n2");
    CHECK_STR(text("<a>pre<![CDATA[&lt;]]>&lt;post</a>", "a"), "pre&lt;<post");
    CHECK_STR(text("<!-- before --><a>1<!-- in - side -->2</a><!-- after -->", "a"), "12");
    CHECK_STR(text("<!----><a><!---->x</a>", "a"), "x");
    CHECK_STR(text("<?xml version='1.0'?><?xml-stylesheet href='s'?><a>1<?pi data?>2<?pi?></a>"
                   "<?after?>",
                   "a"),
              "12");
    CHECK_STR(text("<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\" ?>\n<a>v</a>\n",
                   "a"),
              "v");
    CHECK_STR(text("<?xml version = '1.1' encoding = 'UTF-8'?><a>v</a>", "a"), "v");
    CHECK_STR(text("\xEF\xBB\xBF<?xml version=\"1.0\"?><a>bom</a>", "a"), "bom");
    CHECK_STR(text("\xEF\xBB\xBF<a>bom</a>", "a"), "bom");
    CHECK_STR(text(" \r\n\t<a>ws</a> \r\n\t", "a"), "ws");
}

static void test_namespaces(void)
{
    static const char doc[] =
        "<sts:AssumeRoleResponse xmlns:sts=\"https://sts.amazonaws.com/doc/2011-06-15/\" "
        "xmlns:x='urn:x'>"
        "<sts:AssumeRoleResult><x:Credentials x:attr='1' attr='2'>"
        "<sts:AccessKeyId>AKID</sts:AccessKeyId>"
        "<AccessKeyId>second</AccessKeyId>"
        "</x:Credentials></sts:AssumeRoleResult></sts:AssumeRoleResponse>";
    CHECK_STR(text(doc, "AssumeRoleResponse/AssumeRoleResult/Credentials/AccessKeyId"), "AKID");
    CHECK_STR(root(doc, strlen(doc)), "AssumeRoleResponse");
    /* paths are local names: a prefix in the path is a usage error */
    CHECK(run_n(doc, strlen(doc), "sts:AssumeRoleResponse") == -1);
    CHECK(last_err.kind == OMICS_EUSAGE);
    /* end tags must repeat the prefix */
    CHECK(rejected("<a:x xmlns:a='u' xmlns:b='u'></b:x>"));
    CHECK(rejected("<a:x></x>"));
    CHECK(rejected("<x></a:x>"));
    /* QNames only */
    CHECK(rejected("<:a/>"));
    CHECK(rejected("<a:/>"));
    CHECK(rejected("<a:b:c/>"));
    CHECK(rejected("<a :b/>"));
    CHECK(rejected("<a x:='1'/>"));
    CHECK(rejected("<a ::x='1'/>"));
}

static void test_structure(void)
{
    /* the first match in document order; siblings of the same name */
    CHECK_STR(text("<r><v>1</v><v>2</v></r>", "r/v"), "1");
    CHECK_STR(text("<r><w><v>no</v></w><v>yes</v></r>", "r/v"), "yes");
    CHECK_STR(text("<r><v/><v>2</v></r>", "r/v"), "");
    CHECK(run_n("<r><v/></r>", 11, "r/v") == 1);
    CHECK_STR(text("<r><v></v></r>", "r/v"), "");
    /* an element with children: its direct text, concatenated */
    CHECK_STR(text("<r>a<c>b</c>c<d/>d<c>e</c></r>", "r"), "acd");
    CHECK_STR(text("<r> <c>x</c> </r>", "r"), "  ");
    /* whitespace is kept */
    CHECK_STR(text("<r><v>  x  </v></r>", "r/v"), "  x  ");
    /* the root itself; attributes in all their forms */
    CHECK_STR(text("<r a='1' b=\"2\"\tc\n=\n'3' >t</r >", "r"), "t");
    CHECK_STR(text("<r/>", "r"), "");
    CHECK_STR(root("<r/>", 4), "r");
    CHECK_STR(root("<_r-1.x\xC3\xA9/>", 11), "_r-1.x\xC3\xA9");
    CHECK_STR(root("<p:\xF0\x90\x80\x80\xC2\xB7/>", 11), "\xF0\x90\x80\x80\xC2\xB7");
    /* a match must still be well formed after it */
    CHECK(rejected("<r><v>1</v><w></r>"));
    CHECK(rejected("<r><v>1</v></r><r/>"));
    /* out is reset: a previous content does not leak into the answer */
    {
        buf b;
        buf_init(&b);
        buf_adds(&b, "old");
        omics_error e;
        omics_error_init(&e);
        CHECK(xml_text("<r>new</r>", 10, "r", &b, &e) == 1);
        CHECK_STR(buf_str(&b), "new");
        CHECK(xml_text("<r>new</r>", 10, "x", &b, &e) == 0);
        CHECK(b.len == 0);
        buf_adds(&b, "old");
        CHECK(xml_text("<r>new</x>", 10, "r", &b, &e) == -1);
        CHECK(b.len == 0);
        omics_error_clear(&e);
        buf_free(&b);
    }
    /* nesting: 64 deep is fine, 65 is not */
    {
        buf d;
        buf_init(&d);
        for (int i = 0; i < XML_MAX_DEPTH; i++)
            buf_adds(&d, "<e>");
        buf_adds(&d, "deep");
        for (int i = 0; i < XML_MAX_DEPTH; i++)
            buf_adds(&d, "</e>");
        char path[XML_MAX_DEPTH * 2 + 1];
        for (int i = 0; i < XML_MAX_DEPTH; i++) {
            path[2 * i] = 'e';
            path[2 * i + 1] = '/';
        }
        path[XML_MAX_DEPTH * 2 - 1] = '\0';
        CHECK(run_n(d.p, d.len, path) == 1);
        CHECK_STR(last_text, "deep");
        buf_reset(&d);
        for (int i = 0; i < XML_MAX_DEPTH; i++)
            buf_adds(&d, "<e>");
        buf_adds(&d, "<e/>");
        for (int i = 0; i < XML_MAX_DEPTH; i++)
            buf_adds(&d, "</e>");
        CHECK(rejected_n(d.p, d.len));
        CHECK(message_has("nested more than 64 deep at byte 192"));
        /* a path longer than any document may be: never matches */
        buf_reset(&d);
        for (int i = 0; i < 100; i++)
            buf_adds(&d, i ? "/e" : "e");
        CHECK(run_n("<e><e/></e>", 11, d.p) == 0);
        buf_free(&d);
    }
    /* 32 attributes are fine, 33 are not */
    {
        buf d;
        buf_init(&d);
        buf_adds(&d, "<r");
        for (int i = 0; i < XML_MAX_ATTRS; i++)
            buf_addf(&d, " a%d='%d'", i, i);
        buf_adds(&d, ">v</r>");
        CHECK_STR(text(d.p, "r"), "v");
        buf_reset(&d);
        buf_adds(&d, "<r");
        for (int i = 0; i <= XML_MAX_ATTRS; i++)
            buf_addf(&d, " a%d='%d'", i, i);
        buf_adds(&d, "/>");
        CHECK(rejected(d.p));
        buf_free(&d);
    }
}

static void test_usage(void)
{
    buf b;
    buf_init(&b);
    omics_error e;
    omics_error_init(&e);
    CHECK(xml_text("<a/>", 4, "", &b, &e) == -1 && e.kind == OMICS_EUSAGE);
    CHECK(xml_text("<a/>", 4, NULL, &b, &e) == -1 && e.kind == OMICS_EUSAGE);
    CHECK(xml_text("<a/>", 4, "a//b", &b, &e) == -1 && e.kind == OMICS_EUSAGE);
    CHECK(xml_text("<a/>", 4, "/a", &b, &e) == -1 && e.kind == OMICS_EUSAGE);
    CHECK(xml_text("<a/>", 4, "a/", &b, &e) == -1 && e.kind == OMICS_EUSAGE);
    CHECK(xml_text(NULL, 4, "a", &b, &e) == -1 && e.kind == OMICS_EUSAGE);
    CHECK(xml_text("<a/>", 4, "a", NULL, &e) == -1 && e.kind == OMICS_EUSAGE);
    CHECK(xml_root(NULL, 1, &b, &e) == -1 && e.kind == OMICS_EUSAGE);
    CHECK(xml_root("<a/>", 4, NULL, &e) == -1 && e.kind == OMICS_EUSAGE);
    /* an empty document is malformed, not a misuse */
    CHECK(xml_text(NULL, 0, "a", &b, &e) == -1 && e.kind == OMICS_EPARSE);
    CHECK(xml_root("", 0, &b, &e) == -1 && e.kind == OMICS_EPARSE);
    omics_error_clear(&e);
    buf_free(&b);
}

static void test_malformed(void)
{
    static const char *const bad[] = {
        /* nothing, or no element */
        "", " ", "\n\t ", "text", "<!-- only a comment -->", "<?pi only?>",
        "<?xml version='1.0'?>",
        /* tags */
        "<", "<a", "<a>", "<a/", "<a></a", "<a></", "<a><b></a></b>", "<a></b>", "</a>",
        "<a></a></a>", "<a/><b/>", "<a></a><a></a>", "< a/>", "<a/ >", "<a / >", "<1a/>",
        "<-a/>", "<.a/>", "<a b/>", "<a b=/>", "<a b='1'c='2'/>", "<a b='1' b='2'/>",
        "<a b=1/>", "<a b='1/>", "<a b=\"1'/>", "<a b='<'/>", "<a b='&'/>", "<a b='&x;'/>",
        "<a></ a>", "<a></a b>", "<a>< /a>", "<a><</a>", "<a><b/ ></a>", "<a\x01/>",
        "<a>\xC3\xA9</\xC3\xA9>",
        /* text in the wrong places */
        "x<a/>", "<a/>x", "<a/>&amp;", "&amp;<a/>", "<a/><![CDATA[x]]>", "<![CDATA[x]]><a/>",
        "<a>]]></a>", "<a>x]]>y</a>",
        /* references */
        "<a>&</a>", "<a>& </a>", "<a>&amp</a>", "<a>&amp </a>", "<a>&foo;</a>", "<a>&AMP;</a>",
        "<a>&#;</a>", "<a>&#x;</a>", "<a>&#X41;</a>", "<a>&#0;</a>", "<a>&#x0;</a>",
        "<a>&#8;</a>", "<a>&#x1F;</a>", "<a>&#xD800;</a>", "<a>&#xDFFF;</a>", "<a>&#xFFFE;</a>",
        "<a>&#xFFFF;</a>", "<a>&#x110000;</a>", "<a>&#1114112;</a>",
        "<a>&#99999999999999999999999;</a>", "<a>&#xFFFFFFFFFFFFFFFF0041;</a>", "<a>&#65</a>",
        "<a>&#x41 ;</a>", "<a>&#a;</a>", "<a>&#-1;</a>", "<a>&lt", "<a>&#x4",
        /* DTDs and declarations: no entities of any kind */
        "<!DOCTYPE a><a/>", "<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>",
        "<!DOCTYPE a SYSTEM 'file:///etc/passwd'><a/>", "<?xml version='1.0'?><!DOCTYPE a><a/>",
        "<a><!DOCTYPE a></a>", "<a><!ENTITY e 'x'></a>", "<!ENTITY e 'x'><a/>", "<!ELEMENT a ANY><a/>",
        "<a><!ATTLIST a b CDATA ''></a>", "<a><!-x--></a>", "<a><![CDATA</a>", "<a><![cdata[x]]></a>",
        "<a><!></a>",
        /* comments, CDATA, PIs */
        "<a><!-- x -- y --></a>", "<a><!-- x ---></a>", "<a><!-- x </a>", "<!-- x <a/>",
        "<a><!--></a>", "<a/><!-- x --", "<a/><!-- x -", "<a><![CDATA[x</a>", "<a><![CDATA[x]]</a>", "<a><?pi x</a>", "<a><?</a>",
        "<a><?\?></a>", "<a><?1pi?></a>", "<a><?a:b?></a>", "<a><?pi?x?></a>", "<a><?xml?></a>",
        "<a><?XML x?></a>", "<a/><?xml version='1.0'?>", " <?xml version='1.0'?><a/>",
        "<?xml?><a/>", "<?xml ?><a/>", "<?XML version='1.0'?><a/>", "<?xml version='2.0'?><a/>",
        "<?xml version='1.'?><a/>", "<?xml version='1.0x'?><a/>", "<?xml version=1.0?><a/>",
        "<?xml version='1.0'encoding='UTF-8'?><a/>", "<?xml encoding='UTF-8'?><a/>",
        "<?xml version='1.0' encoding='ISO-8859-1'?><a/>",
        "<?xml version='1.0' encoding='UTF-16'?><a/>",
        "<?xml version='1.0' standalone='yes' encoding='UTF-8'?><a/>",
        "<?xml version='1.0' standalone='maybe'?><a/>", "<?xml version='1.0' foo='bar'?><a/>",
        "<?xml version='1.0' version='1.0'?><a/>", "<?xml version='1.0'", "<?xml version='1.0",
        "<?xml version='1.0'?",
        /* encodings and characters */
        "<a>\x01</a>", "<a>\x1F</a>", "<a>\x7F\x80</a>", "<a>\xC0\xAF</a>", "<a>\xC1\xBF</a>",
        "<a>\xE0\x80\xAF</a>", "<a>\xF0\x80\x80\xAF</a>", "<a>\xED\xA0\x80</a>",
        "<a>\xED\xBF\xBF</a>", "<a>\xF4\x90\x80\x80</a>", "<a>\xF5\x80\x80\x80</a>",
        "<a>\xF8\x88\x80\x80\x80</a>", "<a>\xFF</a>", "<a>\xFE\xFF</a>", "<a>\xC3</a>",
        "<a>\xE2\x82</a>", "<a>\xF0\x9F\x98</a>", "<a>\xC3\xC3</a>", "<a>\xEF\xBF\xBE</a>",
        "<a>\xEF\xBF\xBF</a>", "\xEF\xBB<a/>", "\xFE\xFF<a/>", "<a \x80='1'/>",
        "<a\xC2\xA0/>", /* U+00A0 is not a name character */
        "<\xCC\x80/>",  /* U+0300 may not start a name */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK(rejected(bad[i]));

    /* NUL and other bytes the string literals above cannot hold */
    CHECK(rejected_n("<a>\0</a>", 8));
    CHECK(message_has("control character 0x00 is not allowed at byte 3"));
    CHECK(rejected_n("<a/>\0", 5));
    CHECK(rejected_n("\0<a/>", 5));
    /* UTF-16 */
    CHECK(rejected_n("\xFF\xFE<\0a\0/\0>\0", 10));
    CHECK(rejected_n("<\0a\0/\0>\0", 8));

    /* messages name the problem and the byte */
    CHECK(rejected("<a><b></a>"));
    CHECK(message_has("end tag </a> does not match start tag <b> at byte 6"));
    CHECK(rejected("<a>&bogus;</a>"));
    CHECK(message_has("undefined entity &bogus; (only &lt; &gt; &amp; &apos; &quot;) at byte 3"));
    CHECK(rejected("<!DOCTYPE a><a/>"));
    CHECK(message_has("DOCTYPE declarations are not allowed at byte 0"));
    CHECK(rejected("<a><b>"));
    CHECK(message_has("<b> not closed at byte 6"));
    CHECK(rejected("<a>\xC3\xA9\xE0\x80\xAF</a>"));
    CHECK(message_has("invalid UTF-8 (overlong sequence) at byte 5"));
    CHECK(rejected("<a x='1' x='2'/>"));
    CHECK(message_has("duplicate attribute x at byte 9"));
    CHECK(rejected("<a/><b/>"));
    CHECK(message_has("a second root element at byte 4"));
    CHECK(rejected("<a>&#xD800;</a>"));
    CHECK(message_has("character reference to a character not allowed in XML at byte 3"));
    CHECK(rejected("<a><!-- x -- y --></a>"));
    CHECK(message_has("'--' inside a comment at byte 10"));
    CHECK(rejected(""));
    CHECK(message_has("no root element at byte 0"));
    /* names in messages are cut short */
    {
        char d[400];
        memset(d, 0, sizeof d);
        strcpy(d, "<a>&");
        memset(d + 4, 'x', 60);
        strcat(d, ";</a>");
        CHECK(rejected(d));
        CHECK(message_has("undefined entity &xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; "));
        /* never in the middle of a UTF-8 sequence */
        memset(d, 0, sizeof d);
        strcpy(d, "<a>&");
        memset(d + 4, 'x', 39);
        strcat(d, "\xC3\xA9\xC3\xA9;</a>");
        CHECK(rejected(d));
        CHECK(message_has("xxxxxxxxx; (only"));
    }
}

/* Billion laughs and its relatives: every form is refused at the DOCTYPE, and
 * a reference to an entity nobody defined is an error, never an expansion. */
static void test_entity_expansion(void)
{
    static const char laughs[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE lolz [\n"
        " <!ENTITY lol \"lol\">\n"
        " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
        " <!ENTITY lol9 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
        "]>\n"
        "<lolz>&lol9;</lolz>";
    CHECK(rejected(laughs));
    CHECK(message_has("DOCTYPE declarations are not allowed at byte 22"));
    CHECK(rejected("<lolz>&lol9;</lolz>"));
    CHECK(rejected("<!DOCTYPE r [<!ENTITY % p SYSTEM 'http://evil/'> %p;]><r/>"));
    CHECK(rejected("<!DOCTYPE r [<!ENTITY x SYSTEM 'file:///etc/passwd'>]><r>&x;</r>"));
    /* a lot of references is only a lot of work, linear */
    buf d;
    buf_init(&d);
    buf_adds(&d, "<r>");
    for (int i = 0; i < 100000; i++)
        buf_adds(&d, "&amp;&#x41;");
    buf_adds(&d, "</r>");
    CHECK(run_n(d.p, d.len, "r") == 1);
    CHECK(strlen(last_text) == sizeof last_text - 1); /* truncated copy of 200000 bytes */
    buf_free(&d);
}

/* Every proper prefix of a document is malformed (the root is never closed),
 * each copied into a buffer of exactly that size. */
static void test_truncated(void)
{
    const char *docs[] = {assume_role, web_identity, error_entities};
    for (size_t k = 0; k < 3; k++) {
        size_t len = strlen(docs[k]);
        /* web_identity ends with a newline: it is whole without it */
        while (len && docs[k][len - 1] == '\n')
            len--;
        int all = 1;
        for (size_t n = 0; n < len; n++) {
            if (!rejected_n(docs[k], n)) {
                all = 0;
                fprintf(stderr, "  prefix of %zu bytes accepted\n", n);
            }
        }
        CHECK(all);
        CHECK(run_n(docs[k], len, "x") == 0);
    }
}

/* Deep nesting is refused at the limit, without recursion or a big stack. */
static void test_deep(void)
{
    size_t depth = 1000000;
    buf d;
    buf_init(&d);
    for (size_t i = 0; i < depth; i++)
        buf_add(&d, "<a>", 3);
    CHECK(!d.oom);
    CHECK(rejected_n(d.p, d.len));
    CHECK(message_has("nested more than 64 deep"));
    for (size_t i = 0; i < depth; i++)
        buf_add(&d, "</a>", 4);
    CHECK(rejected_n(d.p, d.len));
    buf_free(&d);
    /* and wide is fine: many siblings, big text */
    buf_init(&d);
    buf_adds(&d, "<r>");
    for (int i = 0; i < 100000; i++)
        buf_adds(&d, "<v a='1'>x</v><!--c--><?p?>");
    buf_adds(&d, "<last>");
    for (int i = 0; i < 100000; i++)
        buf_adds(&d, "0123456789");
    buf_adds(&d, "</last></r>");
    buf b;
    buf_init(&b);
    omics_error e;
    omics_error_init(&e);
    CHECK(xml_text(d.p, d.len, "r/last", &b, &e) == 1);
    CHECK(b.len == 1000000);
    omics_error_clear(&e);
    buf_free(&b);
    buf_free(&d);
}

/* Flip, replace and delete bytes all over a valid document: each variant
 * gives -1, 0 or 1, never a crash or a read out of bounds; errors carry a
 * message. */
static void test_mutations(void)
{
    static const unsigned char subst[] = {0x00, '<', '>', '&', '/', ']', '!', '?', '-', ';',
                                          '#',  'x', '"', '\'', '=', ':', ' ', 0x80, 0xC3, 0xFF};
    const char *docs[] = {error_entities, web_identity};
    long counts[3] = {0, 0, 0}, bad = 0;
    for (size_t k = 0; k < 2; k++) {
        size_t len = strlen(docs[k]);
        char *m = malloc(len);
        if (!m)
            continue;
        for (size_t i = 0; i < len; i++) {
            for (size_t v = 0; v < 8 + sizeof subst + 1; v++) {
                memcpy(m, docs[k], len);
                size_t n = len;
                if (v < 8) {
                    m[i] = (char)(m[i] ^ (1 << v));
                } else if (v < 8 + sizeof subst) {
                    m[i] = (char)subst[v - 8];
                } else { /* delete the byte */
                    memmove(m + i, m + i + 1, len - i - 1);
                    n = len - 1;
                }
                const char *path = k == 0 ? "ErrorResponse/Error/Message"
                                          : "AssumeRoleWithWebIdentityResponse/"
                                            "AssumeRoleWithWebIdentityResult/Credentials/"
                                            "AccessKeyId";
                int rc = run_n(m, n, path);
                if (rc < -1 || rc > 1 || (rc == -1 && !last_err.message))
                    bad++;
                else
                    counts[rc + 1]++;
                buf r;
                buf_init(&r);
                omics_error e;
                omics_error_init(&e);
                int rr = xml_root(m, n, &r, &e);
                if (rr != (rc == -1 ? -1 : 0))
                    bad++;
                omics_error_clear(&e);
                buf_free(&r);
            }
        }
        free(m);
    }
    CHECK(bad == 0);
    CHECK(counts[0] > 0 && counts[2] > 0);
    printf("mutations: %ld rejected, %ld without the element, %ld with it\n", counts[0],
           counts[1], counts[2]);
}

int main(void)
{
    omics_error_init(&last_err);
    RUN(test_sts_documents);
    RUN(test_entities_and_references);
    RUN(test_cdata_comments_pis);
    RUN(test_namespaces);
    RUN(test_structure);
    RUN(test_usage);
    RUN(test_malformed);
    RUN(test_entity_expansion);
    RUN(test_truncated);
    RUN(test_deep);
    RUN(test_mutations);
    omics_error_clear(&last_err);
    CTEST_DONE();
}
