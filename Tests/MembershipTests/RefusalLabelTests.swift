@testable import Membership
import MemberlistWire
import Testing

@Suite struct RefusalLabelTests {
    @Test("the wire's refusal labels and the membership core's are one set; a local sealing failure has its own")
    func oneLabelSet() {
        let membershipLabels = Set(RefusalReason.allCases.map(\.rawValue))
        for reason in WireError.Reason.allCases {
            let counted = RefusalReason(reason).rawValue
            #expect(membershipLabels.contains(counted))
            switch reason {
            case .invalidKey, .encryptFailed:
                // Our own key or seal failed: not something another node sent.
                #expect(counted == "encrypt_failed")
            default:
                #expect(counted == reason.rawValue, "\(reason) is counted as \(counted)")
            }
        }
    }
}
