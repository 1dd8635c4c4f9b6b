/// An AWS-managed policy as IAM serves it (real documents, as AWS publishes them).
struct AWSManagedPolicyDocument: Sendable {
    let name: String          // "AmazonS3ReadOnlyAccess"
    let path: String          // "/" or "/service-role/" or "/job-function/"
    let policyId: String      // ANPA… as AWS shows it
    let description: String
    let defaultVersionId: String   // "v3"
    let createDate: String    // ISO 8601, e.g. "2015-02-06T18:40:58Z"
    let updateDate: String
    let document: String      // the policy JSON of the default version
}

let awsManagedPolicyDocuments: [AWSManagedPolicyDocument] = [
    AWSManagedPolicyDocument(
        name: "AdministratorAccess",
        path: "/",
        policyId: "ANPAIWMBCKSKIEE64ZLYK",
        description: "Provides full access to AWS services and resources.",
        defaultVersionId: "v1",
        createDate: "2015-02-06T18:39:46Z",
        updateDate: "2015-02-06T18:39:46Z",
        document: #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#),
]
