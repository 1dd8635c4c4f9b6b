import SimfraCore
import SimfraProtocols
import Testing

@testable import SimfraEventing

func json(_ text: String) -> Value {
    (try? JSONReader.parse(Array(text.utf8))) ?? .null
}

func eventMatches(_ pattern: String, _ event: String) throws -> Bool {
    try EventPattern(json: pattern).matches(json(event))
}

/// EventBridge pattern matching, from the examples of AWS's "Content filtering in Amazon
/// EventBridge event patterns" and "Event patterns" pages.
@Suite struct PatternsMatchingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var pattern: String
        var event: String
        var match: Bool
        var testDescription: String { "\(pattern) ~ \(event) → \(match)" }
    }

    static let cases: [Case] = [
        // Exact values: strings, numbers, booleans, null; arrays mean OR.
        .init(pattern: #"{"source":["aws.ec2"]}"#, event: #"{"source":"aws.ec2"}"#, match: true),
        .init(pattern: #"{"source":["aws.ec2"]}"#, event: #"{"source":"aws.ec2x"}"#, match: false),
        .init(pattern: #"{"source":["aws.ec2","aws.s3"]}"#, event: #"{"source":"aws.s3"}"#, match: true),
        .init(pattern: #"{"Source":["aws.ec2"]}"#, event: #"{"source":"aws.ec2"}"#, match: false),
        .init(pattern: #"{"n":[5]}"#, event: #"{"n":5.0}"#, match: true),
        .init(pattern: #"{"n":[5]}"#, event: #"{"n":"5"}"#, match: false),
        .init(pattern: #"{"n":["5"]}"#, event: #"{"n":5}"#, match: false),
        .init(pattern: #"{"n":[3.015e2]}"#, event: #"{"n":301.5}"#, match: true),
        .init(pattern: #"{"a":[123456789012]}"#, event: #"{"a":123456789012}"#, match: true),
        .init(pattern: #"{"b":[true]}"#, event: #"{"b":true}"#, match: true),
        .init(pattern: #"{"b":[true]}"#, event: #"{"b":"true"}"#, match: false),
        .init(pattern: #"{"b":[false]}"#, event: #"{"b":true}"#, match: false),
        .init(pattern: #"{"z":[null]}"#, event: #"{"z":null}"#, match: true),
        .init(pattern: #"{"z":[null]}"#, event: #"{}"#, match: false),
        .init(pattern: #"{"z":[null]}"#, event: #"{"z":""}"#, match: false),
        .init(pattern: #"{"z":[""]}"#, event: #"{"z":""}"#, match: true),
        .init(pattern: #"{"z":[""]}"#, event: #"{"z":null}"#, match: false),
        // Event arrays: any element.
        .init(pattern: #"{"resources":["arn:a"]}"#, event: #"{"resources":["arn:b","arn:a"]}"#, match: true),
        .init(pattern: #"{"resources":["arn:a"]}"#, event: #"{"resources":["arn:b"]}"#, match: false),
        .init(pattern: #"{"resources":["arn:a"]}"#, event: #"{"resources":[["arn:a"]]}"#, match: true),
        .init(pattern: #"{"resources":["x"]}"#, event: #"{"resources":[]}"#, match: false),
        // Nested objects, also through arrays of objects.
        .init(pattern: #"{"detail":{"state":["running"]}}"#, event: #"{"detail":{"state":"running"}}"#, match: true),
        .init(pattern: #"{"detail":{"state":["running"]}}"#, event: #"{"detail":{"state":"stopped"}}"#, match: false),
        .init(pattern: #"{"detail":{"state":["running"]}}"#, event: #"{"detail":"running"}"#, match: false),
        .init(pattern: #"{"detail":{"state":["running"]}}"#, event: #"{"state":"running"}"#, match: false),
        .init(
            pattern: #"{"detail":{"items":{"id":["b"]}}}"#, event: #"{"detail":{"items":[{"id":"a"},{"id":"b"}]}}"#,
            match: true),
        .init(
            pattern: #"{"d":{"x":{"a":["1"],"b":["2"]}}}"#, event: #"{"d":{"x":[{"a":"1","b":"9"},{"a":"9","b":"2"}]}}"#,
            match: false),
        .init(
            pattern: #"{"d":{"x":{"a":["1"],"b":["2"]}}}"#, event: #"{"d":{"x":[{"a":"0"},{"a":"1","b":"2"}]}}"#,
            match: true),
        .init(pattern: #"{"detail":["x"]}"#, event: #"{"detail":{"a":"x"}}"#, match: false),
        // prefix / suffix, plain and ignoring case.
        .init(pattern: #"{"time":[{"prefix":"2017-10-02"}]}"#, event: #"{"time":"2017-10-02T15:00:00Z"}"#, match: true),
        .init(pattern: #"{"time":[{"prefix":"2017-10-02"}]}"#, event: #"{"time":"2017-10-03T15:00:00Z"}"#, match: false),
        .init(pattern: #"{"n":[{"prefix":"1"}]}"#, event: #"{"n":12}"#, match: false),
        .init(pattern: #"{"t":[{"prefix":""}]}"#, event: #"{"t":"anything"}"#, match: true),
        .init(pattern: #"{"t":[{"prefix":{"equals-ignore-case":"EventB"}}]}"#, event: #"{"t":"eventbridge"}"#, match: true),
        .init(pattern: #"{"t":[{"prefix":{"equals-ignore-case":"EventB"}}]}"#, event: #"{"t":"xeventbridge"}"#, match: false),
        .init(pattern: #"{"f":[{"suffix":".png"}]}"#, event: #"{"f":"image.png"}"#, match: true),
        .init(pattern: #"{"f":[{"suffix":".png"}]}"#, event: #"{"f":"image.PNG"}"#, match: false),
        .init(pattern: #"{"f":[{"suffix":{"equals-ignore-case":".png"}}]}"#, event: #"{"f":"image.PNG"}"#, match: true),
        .init(pattern: #"{"f":[{"suffix":{"equals-ignore-case":".png"}}]}"#, event: #"{"f":"image.jpg"}"#, match: false),
        .init(pattern: #"{"s":[{"equals-ignore-case":"Alice"}]}"#, event: #"{"s":"aLiCe"}"#, match: true),
        .init(pattern: #"{"s":[{"equals-ignore-case":"Alice"}]}"#, event: #"{"s":"alicia"}"#, match: false),
        .init(pattern: #"{"s":[{"equals-ignore-case":""}]}"#, event: #"{"s":""}"#, match: true),
        // anything-but: values, lists, numbers, prefix/suffix/wildcard/ignore-case; never a missing field.
        .init(pattern: #"{"state":[{"anything-but":"initializing"}]}"#, event: #"{"state":"running"}"#, match: true),
        .init(pattern: #"{"state":[{"anything-but":"initializing"}]}"#, event: #"{"state":"initializing"}"#, match: false),
        .init(pattern: #"{"state":[{"anything-but":"initializing"}]}"#, event: #"{"state":null}"#, match: true),
        .init(pattern: #"{"state":[{"anything-but":"initializing"}]}"#, event: #"{"other":1}"#, match: false),
        .init(pattern: #"{"state":[{"anything-but":["stopped","overloaded"]}]}"#, event: #"{"state":"stopped"}"#, match: false),
        .init(pattern: #"{"state":[{"anything-but":["stopped","overloaded"]}]}"#, event: #"{"state":"ok"}"#, match: true),
        .init(pattern: #"{"x":[{"anything-but":123}]}"#, event: #"{"x":123.0}"#, match: false),
        .init(pattern: #"{"x":[{"anything-but":123}]}"#, event: #"{"x":"123"}"#, match: true),
        .init(pattern: #"{"x":[{"anything-but":[100,200]}]}"#, event: #"{"x":200}"#, match: false),
        .init(pattern: #"{"x":[{"anything-but":[100,200]}]}"#, event: #"{"x":0}"#, match: true),
        .init(pattern: #"{"x":[{"anything-but":0}]}"#, event: #"{"x":0}"#, match: false),
        .init(pattern: #"{"x":[{"anything-but":{"prefix":"init"}}]}"#, event: #"{"x":"initializing"}"#, match: false),
        .init(pattern: #"{"x":[{"anything-but":{"prefix":"init"}}]}"#, event: #"{"x":"running"}"#, match: true),
        .init(pattern: #"{"x":[{"anything-but":{"prefix":"init"}}]}"#, event: #"{"x":42}"#, match: true),
        .init(pattern: #"{"x":[{"anything-but":{"prefix":["a","b"]}}]}"#, event: #"{"x":"bob"}"#, match: false),
        .init(pattern: #"{"x":[{"anything-but":{"suffix":".txt"}}]}"#, event: #"{"x":"a.txt"}"#, match: false),
        .init(pattern: #"{"x":[{"anything-but":{"suffix":".txt"}}]}"#, event: #"{"x":"a.png"}"#, match: true),
        .init(pattern: #"{"x":[{"anything-but":{"equals-ignore-case":"Stopped"}}]}"#, event: #"{"x":"STOPPED"}"#, match: false),
        .init(pattern: #"{"x":[{"anything-but":{"equals-ignore-case":["a","b"]}}]}"#, event: #"{"x":"C"}"#, match: true),
        .init(pattern: #"{"x":[{"anything-but":{"wildcard":"*/lib/*"}}]}"#, event: #"{"x":"/usr/lib/x"}"#, match: false),
        .init(pattern: #"{"x":[{"anything-but":{"wildcard":["*/lib/*","*.tmp"]}}]}"#, event: #"{"x":"/usr/bin/x"}"#, match: true),
        .init(pattern: #"{"x":[{"anything-but":["a"]}]}"#, event: #"{"x":["a","b"]}"#, match: true),
        .init(pattern: #"{"x":[{"anything-but":["a"]}]}"#, event: #"{"x":["a"]}"#, match: false),
        // numeric
        .init(pattern: #"{"c":[{"numeric":[">",0,"<=",5]}]}"#, event: #"{"c":5}"#, match: true),
        .init(pattern: #"{"c":[{"numeric":[">",0,"<=",5]}]}"#, event: #"{"c":0}"#, match: false),
        .init(pattern: #"{"c":[{"numeric":[">",0,"<=",5]}]}"#, event: #"{"c":5.0000001}"#, match: false),
        .init(pattern: #"{"c":[{"numeric":["<",10]}]}"#, event: #"{"c":-1e3}"#, match: true),
        .init(pattern: #"{"c":[{"numeric":[">=",10]}]}"#, event: #"{"c":10}"#, match: true),
        .init(pattern: #"{"c":[{"numeric":["=",3.018e2]}]}"#, event: #"{"c":301.8}"#, match: true),
        .init(pattern: #"{"c":[{"numeric":["=",5]}]}"#, event: #"{"c":"5"}"#, match: false),
        .init(pattern: #"{"c":[{"numeric":[">",0]}]}"#, event: #"{"c":null}"#, match: false),
        .init(pattern: #"{"c":[{"numeric":[">",0]}]}"#, event: #"{"c":[-1,3]}"#, match: true),
        .init(pattern: #"{"c":[{"numeric":[">",1e10]}]}"#, event: #"{"c":2e10}"#, match: true),
        // exists: leaves only; false matches a missing field (and an empty array).
        .init(pattern: #"{"detail":{"state":[{"exists":true}]}}"#, event: #"{"detail":{"state":"x"}}"#, match: true),
        .init(pattern: #"{"detail":{"state":[{"exists":true}]}}"#, event: #"{"detail":{"state":null}}"#, match: true),
        .init(pattern: #"{"detail":{"state":[{"exists":true}]}}"#, event: #"{"detail":{}}"#, match: false),
        .init(pattern: #"{"detail":{"state":[{"exists":true}]}}"#, event: #"{"detail":{"state":{"a":1}}}"#, match: false),
        .init(pattern: #"{"detail":{"state":[{"exists":false}]}}"#, event: #"{"detail":{}}"#, match: true),
        .init(pattern: #"{"detail":{"state":[{"exists":false}]}}"#, event: #"{"other":1}"#, match: true),
        .init(pattern: #"{"detail":{"state":[{"exists":false}]}}"#, event: #"{"detail":{"state":"x"}}"#, match: false),
        .init(pattern: #"{"detail":{"state":[{"exists":false}]}}"#, event: #"{"detail":{"state":[]}}"#, match: true),
        .init(pattern: #"{"detail":{"state":[{"exists":true}]}}"#, event: #"{"detail":{"state":[]}}"#, match: false),
        // cidr and IP literals
        .init(pattern: #"{"ip":[{"cidr":"10.0.0.0/24"}]}"#, event: #"{"ip":"10.0.0.255"}"#, match: true),
        .init(pattern: #"{"ip":[{"cidr":"10.0.0.0/24"}]}"#, event: #"{"ip":"10.0.1.0"}"#, match: false),
        .init(pattern: #"{"ip":[{"cidr":"10.0.0.0/24"}]}"#, event: #"{"ip":"not-an-ip"}"#, match: false),
        .init(pattern: #"{"ip":[{"cidr":"10.0.0.0/24"}]}"#, event: #"{"ip":167772161}"#, match: false),
        .init(pattern: #"{"ip":[{"cidr":"2001:db8::/64"}]}"#, event: #"{"ip":"2001:0db8:0000:0000:ffff::1"}"#, match: true),
        .init(pattern: #"{"ip":[{"cidr":"2001:db8::/64"}]}"#, event: #"{"ip":"2001:db8:0:1::1"}"#, match: false),
        .init(pattern: #"{"ip":[{"cidr":"10.0.0.0/24"}]}"#, event: #"{"ip":"2001:db8::1"}"#, match: false),
        .init(pattern: #"{"ip":["2001:db8::1"]}"#, event: #"{"ip":"2001:0DB8:0:0:0:0:0:1"}"#, match: true),
        // wildcard
        .init(pattern: #"{"f":[{"wildcard":"dir/*.png"}]}"#, event: #"{"f":"dir/a/b.png"}"#, match: true),
        .init(pattern: #"{"f":[{"wildcard":"dir/*.png"}]}"#, event: #"{"f":"dir/a/b.jpg"}"#, match: false),
        .init(pattern: #"{"f":[{"wildcard":"*"}]}"#, event: #"{"f":""}"#, match: true),
        .init(pattern: #"{"f":[{"wildcard":"a*b*c"}]}"#, event: #"{"f":"abbbc"}"#, match: true),
        .init(pattern: #"{"f":[{"wildcard":"a*b*c"}]}"#, event: #"{"f":"acb"}"#, match: false),
        .init(pattern: #"{"f":[{"wildcard":"a*a"}]}"#, event: #"{"f":"a"}"#, match: false),
        .init(pattern: #"{"f":[{"wildcard":"a\\*b"}]}"#, event: #"{"f":"a*b"}"#, match: true),
        .init(pattern: #"{"f":[{"wildcard":"a\\*b"}]}"#, event: #"{"f":"axb"}"#, match: false),
        .init(pattern: #"{"f":[{"wildcard":"exact"}]}"#, event: #"{"f":"exact"}"#, match: true),
        // $or at the top and nested; combined with fields.
        .init(
            pattern: #"{"source":["s"],"$or":[{"a":[1]},{"b":[2]}]}"#, event: #"{"source":"s","b":2}"#, match: true),
        .init(
            pattern: #"{"source":["s"],"$or":[{"a":[1]},{"b":[2]}]}"#, event: #"{"source":"x","b":2}"#, match: false),
        .init(pattern: #"{"$or":[{"a":[1]},{"b":[2]}]}"#, event: #"{"c":3}"#, match: false),
        .init(
            pattern: #"{"detail":{"$or":[{"c":[{"numeric":[">",0,"<=",5]}]},{"d":[{"numeric":["<",10]}]}]}}"#,
            event: #"{"detail":{"d":9}}"#, match: true),
        .init(
            pattern: #"{"detail":{"$or":[{"x":{"$or":[{"p":[1]},{"q":[2]}]}},{"r":[3]}]}}"#,
            event: #"{"detail":{"x":{"q":2}}}"#, match: true),
        .init(
            pattern: #"{"$or":[{"a":[{"exists":false}]},{"b":[{"anything-but":"x"}]}]}"#, event: #"{"a":1,"b":"y"}"#,
            match: true),
        // Several fields are ANDed; values of one field ORed.
        .init(
            pattern: #"{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["running","stopped"]}}"#,
            event: #"{"source":"aws.ec2","detail-type":"EC2 Instance State-change Notification","detail":{"state":"stopped","instance-id":"i-1"}}"#,
            match: true),
        .init(
            pattern: #"{"source":["aws.ec2"],"detail":{"state":["running"]}}"#,
            event: #"{"source":"aws.ec2","detail":{"state":"stopped"}}"#, match: false),
        // Mixed matchers in one array.
        .init(pattern: #"{"v":["a",{"prefix":"b"},{"numeric":[">",10]}]}"#, event: #"{"v":11}"#, match: true),
        .init(pattern: #"{"v":["a",{"prefix":"b"},{"numeric":[">",10]}]}"#, event: #"{"v":"bee"}"#, match: true),
        .init(pattern: #"{"v":["a",{"prefix":"b"},{"numeric":[">",10]}]}"#, event: #"{"v":"c"}"#, match: false),
        // A key repeated in the pattern keeps its last value array.
        .init(pattern: #"{"k":["a"],"k":["b"]}"#, event: #"{"k":"b"}"#, match: true),
        .init(pattern: #"{"k":["a"],"k":["b"]}"#, event: #"{"k":"a"}"#, match: false),
    ]

    @Test(arguments: cases)
    func matching(_ c: Case) throws {
        #expect(try eventMatches(c.pattern, c.event) == c.match)
    }

    @Test func trailingContentAfterThePatternIsIgnoredAsAWSDoes() throws {
        #expect(try eventMatches(#"{"a":["b"]} trailing"#, #"{"a":"b"}"#))
    }

    @Test func whitespaceAndUnicode() throws {
        #expect(try eventMatches("{\n  \"name\" : [ \"Zoë\" ]\n}", #"{"name":"Zoë"}"#))
        #expect(try eventMatches(#"{"name":["\u00e9"]}"#, #"{"name":"é"}"#))
    }
}
