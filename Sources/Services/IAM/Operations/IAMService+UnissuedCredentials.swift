import SimfraCore

/// Lists of user credentials Simfra does not issue yet (MFA devices, signing certificates,
/// SSH keys, service-specific credentials) and the account password policy, which cannot be
/// set yet. Their Create/Upload/Put operations answer 501, so these answers are the true
/// state, not placeholders: clients (the Terraform provider deleting a user, the console)
/// read them and expect AWS's empty results and errors.
extension IAMService {
    func emptyUserList(_ member: String, _ input: Value, _ ctx: RequestContext) throws -> Value {
        let name = try targetUser(input, ctx)
        return try read(ctx.accountId) { a in
            guard a.users[name.lowercased()] != nil else { throw IAMError.noSuchUser(name) }
            return [member: [], "IsTruncated": false]
        }
    }

    func listMFADevices(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try emptyUserList("MFADevices", input, ctx)
    }

    func listSigningCertificates(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try emptyUserList("Certificates", input, ctx)
    }

    func listSSHPublicKeys(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        try emptyUserList("SSHPublicKeys", input, ctx)
    }

    func listServiceSpecificCredentials(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        if input.bool("AllUsers") == true { return ["ServiceSpecificCredentials": [], "IsTruncated": false] }
        return try emptyUserList("ServiceSpecificCredentials", input, ctx)
    }

    func listVirtualMFADevices(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        ["VirtualMFADevices": [], "IsTruncated": false]
    }

    func getAccountPasswordPolicy(_ input: Value, _ ctx: RequestContext) async throws -> Value {
        throw IAMError.noSuchEntity("The Password Policy with domain name \(ctx.accountId) cannot be found.")
    }
}
