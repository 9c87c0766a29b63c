//! Unit tests of the PubMed efetch and esearch parsers.

use super::*;

fn d(s: &str) -> String {
    medline_date(s).map(|d| d.to_rfc3339()).unwrap_or_default()
}

#[test]
fn medline_dates() {
    assert_eq!(d("2023 Nov-Dec"), "2023-11-01T00:00:00+00:00");
    assert_eq!(d("1998 Dec-1999 Jan"), "1998-12-01T00:00:00+00:00");
    assert_eq!(d("2000 Spring"), "2000-03-01T00:00:00+00:00");
    assert_eq!(d("2019 Jan 15-21"), "2019-01-15T00:00:00+00:00");
    assert_eq!(d("2000-2001"), "2000-01-01T00:00:00+00:00");
    assert_eq!(d("Summer"), "");
}

#[test]
fn article_fields() {
    let xml = r#"<?xml version="1.0"?>
<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID Version="1">123</PMID>
<DateRevised><Year>2024</Year><Month>02</Month><Day>03</Day></DateRevised>
<Article><Journal><JournalIssue><PubDate><MedlineDate>2023 Nov-Dec</MedlineDate></PubDate></JournalIssue>
<ISOAbbreviation>J Test</ISOAbbreviation></Journal>
<ArticleTitle>Esketamine and CO<sub>2</sub> in <i>vivo</i>&#x2014;a trial</ArticleTitle>
<Abstract><AbstractText Label="BACKGROUND">Bg text.</AbstractText><AbstractText Label="METHODS">See NCT01234567 and NCT07654321.</AbstractText><CopyrightInformation>(c) X</CopyrightInformation></Abstract>
<AuthorList><Author ValidYN="Y"><LastName>Doe</LastName><ForeName>Jane Ann</ForeName></Author><Author><CollectiveName>The Group</CollectiveName></Author><Author ValidYN="N"><LastName>Wrong</LastName><Initials>W</Initials></Author></AuthorList>
<DataBankList><DataBank><DataBankName>ClinicalTrials.gov</DataBankName><AccessionNumberList><AccessionNumber>NCT07654321</AccessionNumber></AccessionNumberList></DataBank></DataBankList>
<PublicationTypeList><PublicationType>Randomized Controlled Trial</PublicationType></PublicationTypeList>
</Article>
<MeshHeadingList><MeshHeading><DescriptorName MajorTopicYN="N">Ketamine</DescriptorName><QualifierName MajorTopicYN="Y">therapeutic use</QualifierName></MeshHeading><MeshHeading><DescriptorName MajorTopicYN="N">Humans</DescriptorName></MeshHeading></MeshHeadingList>
<CommentsCorrectionsList><CommentsCorrections RefType="Cites"><PMID>999</PMID></CommentsCorrections></CommentsCorrectionsList>
<KeywordList><Keyword>rapid antidepressant</Keyword></KeywordList>
</MedlineCitation><PubmedData><ArticleIdList><ArticleId IdType="pubmed">123</ArticleId><ArticleId IdType="doi">10.1000/ABC</ArticleId><ArticleId IdType="pmc">PMC42</ArticleId></ArticleIdList>
<ReferenceList><Reference><ArticleIdList><ArticleId IdType="doi">10.9/wrong</ArticleId></ArticleIdList></Reference></ReferenceList></PubmedData></PubmedArticle></PubmedArticleSet>"#;
    let f = parse(xml, "t").unwrap();
    let e = &f.entries[0];
    assert_eq!(e.pmid.as_deref(), Some("123"));
    assert_eq!(e.doi.as_deref(), Some("10.1000/abc"));
    assert_eq!(e.pmcid.as_deref(), Some("PMC42"));
    assert_eq!(
        e.title.as_deref(),
        Some("Esketamine and CO2 in vivo\u{2014}a trial")
    );
    assert_eq!(
        e.summary.as_deref(),
        Some("BACKGROUND: Bg text. METHODS: See NCT01234567 and NCT07654321.")
    );
    assert_eq!(e.authors, ["Doe JA", "The Group"]);
    assert_eq!(e.nct_id.as_deref(), Some("NCT07654321"));
    assert_eq!(e.categories, ["rapid antidepressant", "nct:NCT01234567"]);
    assert_eq!(e.mesh, ["Ketamine*", "Humans"]);
    assert_eq!(e.journal.as_deref(), Some("J Test"));
    assert_eq!(
        e.published.map(|d| d.to_rfc3339()).as_deref(),
        Some("2023-11-01T00:00:00+00:00")
    );
    assert_eq!(
        e.updated.map(|d| d.to_rfc3339()).as_deref(),
        Some("2024-02-03T00:00:00+00:00")
    );
    assert_eq!(e.guid.as_deref(), Some("pubmed:123"));
}

#[test]
fn efetch_error_document() {
    let xml = "<eFetchResult>\n\t<ERROR>Unable to obtain query #1</ERROR>\n</eFetchResult>";
    assert_eq!(
        parse_efetch(xml, "t").unwrap(),
        Efetch::Error("Unable to obtain query #1".into())
    );
    assert!(
        parse(xml, "t")
            .unwrap_err()
            .to_string()
            .contains("query #1")
    );
}

#[test]
fn truncated_is_a_syntax_error() {
    let err = parse("<PubmedArticleSet><PubmedArticle><MedlineCitation>", "t").unwrap_err();
    assert!(err.line().is_some(), "{err}");
}
