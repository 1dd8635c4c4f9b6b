extension Policy {
    /// One resource policy made of several documents (an S3 bucket policy plus the statements
    /// its ACLs amount to), so the engine evaluates them as the single resource side AWS does.
    package convenience init(merging parts: [Policy]) {
        self.init(kind: parts.first?.kind ?? .resource, version: parts.first?.version, id: parts.first?.id,
                  statements: parts.flatMap(\.statements))
    }

    /// Whether the policy grants access to anyone (S3's "public" test, used by
    /// GetBucketPolicyStatus, `BlockPublicPolicy` and `RestrictPublicBuckets`): an Allow that
    /// names every principal and is not pinned by a condition on a key with fixed values
    /// (`aws:SourceArn`, `aws:SourceAccount`, `aws:SourceVpc(e)`, `aws:PrincipalAccount`,
    /// `aws:PrincipalOrgID`, `aws:PrincipalArn`, `aws:userid`, `s3:DataAccessPointArn`, or a
    /// non-wildcard `aws:SourceIp` range other than 0.0.0.0/0).
    package var isPublic: Bool {
        statements.contains { st in
            guard st.effect == .allow, !st.notPrincipal, st.principals?.everyone == true else { return false }
            return !st.conditions.contains { c in Self.restrictingKeys.contains(c.lookupKey) && !c.op.base.isNegated && !c.allowsAnyValue }
        }
    }

    static let restrictingKeys: Set<String> = [
        "aws:sourcearn", "aws:sourceaccount", "aws:sourcevpc", "aws:sourcevpce", "aws:principalaccount",
        "aws:principalorgid", "aws:principalarn", "aws:userid", "s3:dataaccesspointarn", "aws:sourceip",
        "aws:sourceowner", "s3:dataaccesspointaccount",
    ]
}

extension Condition {
    /// A value that admits every caller (`*` as a string pattern, `0.0.0.0/0` or `::/0`), so the
    /// condition does not make a public statement private.
    var allowsAnyValue: Bool {
        values.contains { v in
            switch v {
            case .pattern(let p): return p.matchesEverything
            case .arn(let p): return p.matchesEverything
            case .ip(let r): return r.prefixLength == 0
            default: return false
            }
        }
    }
}
