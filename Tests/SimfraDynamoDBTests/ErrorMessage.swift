import SimfraCore

/// The message of the AWSError `body` throws (nil when it throws nothing): what the
/// expression and limit tests compare against AWS's wording.
func message(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let e as AWSError {
        return e.message
    } catch {
        return "\(error)"
    }
}
