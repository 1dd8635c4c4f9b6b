import SimfraCore

/// GetRandomPassword, from the system's cryptographic random source.
extension SecretsManagerService {
    static let punctuation = Array("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")

    func getRandomPassword(_ input: Value) throws -> Value {
        let length = input.int("PasswordLength") ?? 32
        guard (1...4096).contains(length) else {
            throw SMError.invalidParameter("PasswordLength must be between 1 and 4096.")
        }
        let exclude = Set(input.string("ExcludeCharacters") ?? "")
        var classes: [[Character]] = []
        if !(input.bool("ExcludeLowercase") ?? false) { classes.append(Array("abcdefghijklmnopqrstuvwxyz")) }
        if !(input.bool("ExcludeUppercase") ?? false) { classes.append(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) }
        if !(input.bool("ExcludeNumbers") ?? false) { classes.append(Array("0123456789")) }
        if !(input.bool("ExcludePunctuation") ?? false) { classes.append(Self.punctuation) }
        if input.bool("IncludeSpace") ?? false { classes.append([" "]) }
        classes = classes.map { $0.filter { !exclude.contains($0) } }.filter { !$0.isEmpty }
        guard !classes.isEmpty else {
            throw SMError.invalidParameter("The password can't be generated: every character type is excluded.")
        }
        let requireEach = input.bool("RequireEachIncludedType") ?? true
        if requireEach, length < classes.count {
            throw SMError.invalidParameter(
                "The PasswordLength is too short to include a character of each type (\(classes.count)).")
        }
        var rng = SystemRandomNumberGenerator()
        let all = classes.flatMap { $0 }
        var chars: [Character] = []
        if requireEach {
            for c in classes { chars.append(c[Int(rng.next(upperBound: UInt64(c.count)))]) }
        }
        while chars.count < length { chars.append(all[Int(rng.next(upperBound: UInt64(all.count)))]) }
        // Fisher-Yates, so the required characters are not always first.
        for i in stride(from: chars.count - 1, to: 0, by: -1) {
            chars.swapAt(i, Int(rng.next(upperBound: UInt64(i + 1))))
        }
        return ["RandomPassword": .string(String(chars))]
    }
}
