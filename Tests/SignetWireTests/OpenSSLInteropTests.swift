import Crypto
import Foundation
import SignetWire
import SwiftASN1
import Testing
import X509

/// The real OpenSSL CLI judges what SignetWire writes, signed with software P-256 keys standing in
/// for the HSM.
@Suite(.enabled(if: OpenSSL.isAvailable, "needs the openssl CLI"))
struct OpenSSLInteropTests {
    @Test("openssl reads and verifies a CRL")
    func crl() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let ca = TestSigner.ca
        let tbs = try CRLTests.tbs(entries: [
            RevokedCertificate(serialNumber: [0x8A, 0x6F, 0x3C], revocationDate: referenceTime, reason: .keyCompromise, invalidityDate: referenceTime.addingTimeInterval(-86_400)),
            RevokedCertificate(serialNumber: [0x12, 0x34], revocationDate: referenceTime),
        ], crlNumber: [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A])
        let tbsBytes = try tbs.derBytes()
        let der = try CertificateList.assemble(tbsCertList: tbsBytes, signatureAlgorithm: ca.algorithm, signature: ca.sign(tbsBytes))
        let crl = try scratch.write("test.crl", der)
        let caFile = try scratch.write("ca.pem", ca.certificate.pem)

        let text = try OpenSSL.run(["crl", "-inform", "DER", "-in", crl, "-noout", "-text"])
        #expect(text.succeeded, "\(text.output)")
        #expect(text.output.contains("Version 2 (0x1)"))
        #expect(text.output.contains("X509v3 CRL Number"))
        #expect(text.output.contains("4759477275222530853130"))  // 0x0102030405060708090A in decimal
        #expect(text.output.contains("Key Compromise"))
        #expect(text.output.contains("Invalidity Date"))
        #expect(text.output.contains("Serial Number: 8A6F3C"))
        #expect(text.output.contains("Last Update: Nov 14 22:13:20 2023 GMT"))

        let verify = try OpenSSL.run(["crl", "-inform", "DER", "-in", crl, "-CAfile", caFile, "-noout"])
        #expect(verify.succeeded && verify.output.contains("verify OK"), "\(verify.output)")
    }

    @Test("openssl reads an OCSP response, and verifies it with the responder trusted directly")
    func ocspResponse() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let ca = TestSigner.ca
        let leaf = try Fixtures.certificate("leaf.pem")
        // Answer the OpenSSL request as if Signet's CA had issued the leaf (issuer hashes from our CA).
        let fixtureRequest = try OCSPRequest(derEncoded: Fixtures.bytes("ocsp-request-sha1-nonce.der"), maximumRequests: 1)
        let nonce = try #require(fixtureRequest.tbsRequest.nonce)
        let certID = try CertID(
            hashAlgorithm: .sha1, issuerNameHash: Array(Insecure.SHA1.hash(data: ca.certificate.subject.derBytes())),
            issuerKeyHash: ca.subjectKeyIdentifier, serialNumber: leaf.serialNumber.bytes)
        let data = try ResponseData(
            responderID: .byKey(ca.subjectKeyIdentifier), producedAt: referenceTime,
            responses: [SingleResponse(
                certID: certID, certStatus: .revoked(RevokedInfo(revocationTime: referenceTime.addingTimeInterval(-60), revocationReason: .keyCompromise)),
                thisUpdate: referenceTime, nextUpdate: referenceTime.addingTimeInterval(86_400))],
            responseExtensions: [OCSPNonce.makeExtension(echoing: nonce)])
        let tbs = try data.derBytes()
        let basic = try BasicOCSPResponse(tbsResponseData: tbs, signatureAlgorithm: ca.algorithm, signature: ca.sign(tbs))
        let response = try scratch.write("resp.der", OCSPResponse(basicResponse: basic).derBytes())
        let caFile = try scratch.write("ca.pem", ca.certificate.pem)

        let text = try OpenSSL.run(["ocsp", "-respin", response, "-resp_text", "-noverify"])
        #expect(text.succeeded, "\(text.output)")
        #expect(text.output.contains("OCSP Response Status: successful (0x0)"))
        #expect(text.output.contains("Responder Id: "))
        #expect(text.output.contains("Produced At: Nov 14 22:13:20 2023 GMT"))
        #expect(text.output.contains("Cert Status: revoked"))
        #expect(text.output.contains("Revocation Reason: keyCompromise (0x1)"))
        #expect(text.output.contains("OCSP Nonce"))
        #expect(text.output.contains("Serial Number: 8A6F3C0D5E1B2A4978C6D5E4F3A2B1C0D9E8F701"))

        // -VAfile trusts the responder certificate as given; finding it proves the byKey hash right.
        let verify = try OpenSSL.run(["ocsp", "-respin", response, "-VAfile", caFile])
        #expect(verify.succeeded && verify.output.contains("Response verify OK"), "\(verify.output)")

        let error = try scratch.write("error.der", OCSPResponse.unsuccessful(.unauthorized).derBytes())
        let errorText = try OpenSSL.run(["ocsp", "-respin", error, "-resp_text", "-noverify"])
        #expect(errorText.output.contains("unauthorized (6)"), "\(errorText.output)")
    }

    @Test("openssl prints and verifies a detached CMS signature of a file")
    func cmsDetached() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let signer = TestSigner.documentSigner
        let content = Array("Signet detached signature over these bytes.\n".utf8)
        let builder = try CMSSignedDataBuilder(
            eContentType: .CMSContentType.data, eContent: nil, digestAlgorithm: .sha256,
            messageDigest: Array(SHA256.hash(data: content)), signerCertificate: signer.certificate,
            signatureAlgorithm: signer.algorithm, signedAttributes: [
                .signingTime(referenceTime),
                .signingCertificateV2(SigningCertificateV2(certs: [ESSCertIDv2(certificate: signer.certificate, certHash: Array(SHA256.hash(data: signer.certificate.derBytes)))])),
            ])
        let der = try builder.assemble(signature: signer.sign(builder.bytesToSign()))
        let signature = try scratch.write("file.sig", der)
        let file = try scratch.write("file.txt", content)
        let signerFile = try scratch.write("signer.pem", signer.certificate.pem)

        let printed = try OpenSSL.run(["cms", "-cmsout", "-inform", "DER", "-in", signature, "-print", "-noout"])
        #expect(printed.succeeded, "\(printed.output)")
        #expect(printed.output.contains("contentType: pkcs7-signedData (1.2.840.113549.1.7.2)"))
        #expect(printed.output.contains("eContent: <ABSENT>"))

        let verified = try OpenSSL.run([
            "cms", "-verify", "-binary", "-inform", "DER", "-in", signature, "-content", file,
            "-CAfile", signerFile, "-purpose", "any", "-out", scratch.path("out.txt"),
        ])
        #expect(verified.succeeded && verified.output.contains("Verification successful"), "\(verified.output)")

        let tampered = try scratch.write("tampered.txt", content + [0x21])
        let refused = try OpenSSL.run([
            "cms", "-verify", "-binary", "-inform", "DER", "-in", signature, "-content", tampered,
            "-CAfile", signerFile, "-purpose", "any", "-out", scratch.path("out2.txt"),
        ])
        #expect(!refused.succeeded)
    }

    @Test("openssl reads a time-stamp response and verifies it against the data and the query")
    func timeStamp() throws {
        let scratch = try ScratchDirectory()
        defer { scratch.remove() }
        let data = Array("Signet RFC 3161 interop data\n".utf8)
        let dataFile = try scratch.write("data.txt", data)
        let query = scratch.path("query.tsq")
        let made = try OpenSSL.run(["ts", "-query", "-data", dataFile, "-sha256", "-cert", "-out", query])
        #expect(made.succeeded, "\(made.output)")

        let request = try TimeStampReq(derEncoded: Array(Data(contentsOf: URL(fileURLWithPath: query))))
        let response = try TestTimeStampAuthority.respond(to: request)
        let responseFile = try scratch.write("resp.tsr", response.derBytes())
        let tsaFile = try scratch.write("tsa.pem", TestSigner.tsa.certificate.pem)

        let text = try OpenSSL.run(["ts", "-reply", "-in", responseFile, "-text"])
        #expect(text.succeeded, "\(text.output)")
        #expect(text.output.contains("Status: Granted."))
        #expect(text.output.contains("Time stamp: Nov 14 22:13:20.123 2023 GMT"))
        #expect(text.output.contains("Policy OID: 1.3.6.1.4.1.99999.1.1"))
        #expect(text.output.contains("Accuracy: 0x01 seconds"))

        let verified = try OpenSSL.run(["ts", "-verify", "-in", responseFile, "-data", dataFile, "-CAfile", tsaFile])
        #expect(verified.output.contains("Verification: OK"), "\(verified.output)")
        let againstQuery = try OpenSSL.run(["ts", "-verify", "-in", responseFile, "-queryfile", query, "-CAfile", tsaFile])
        #expect(againstQuery.output.contains("Verification: OK"), "\(againstQuery.output)")
        let otherData = try scratch.write("other.txt", data + [0x0A])
        let refused = try OpenSSL.run(["ts", "-verify", "-in", responseFile, "-data", otherData, "-CAfile", tsaFile])
        #expect(!refused.output.contains("Verification: OK"))

        let rejection = try scratch.write("reject.tsr", TimeStampResp.rejection(.badAlg, statusString: ["unsupported algorithm"]).derBytes())
        let rejectionText = try OpenSSL.run(["ts", "-reply", "-in", rejection, "-text"])
        #expect(rejectionText.output.contains("Status: Rejected."), "\(rejectionText.output)")
        #expect(rejectionText.output.contains("unrecognized or unsupported algorithm identifier"), "\(rejectionText.output)")
    }
}
