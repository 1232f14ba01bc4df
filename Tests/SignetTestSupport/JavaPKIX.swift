import Foundation

/// Java's PKIX certification path validator (the JDK's, as jarsigner and every Java relying party
/// use it), run as a single-file Java program: the chain in a PEM file is validated against a root
/// with revocation checked through CRLs only, fetched from each certificate's CRL distribution point
/// (`com.sun.security.enableCRLDP`), no OCSP and no fallback. It prints `VALID` or the validator's
/// reason and exits non-zero.
public enum JavaPKIX {
    static let source = """
        import java.io.FileInputStream;
        import java.security.cert.*;
        import java.util.*;

        public class CRLOnlyValidation {
            public static void main(String[] args) throws Exception {
                System.setProperty("com.sun.security.enableCRLDP", "true");
                CertificateFactory factory = CertificateFactory.getInstance("X.509");
                X509Certificate root = (X509Certificate) factory.generateCertificate(new FileInputStream(args[0]));
                List<X509Certificate> chain = new ArrayList<>();
                for (Certificate c : factory.generateCertificates(new FileInputStream(args[1]))) {
                    X509Certificate x = (X509Certificate) c;
                    if (!x.getSubjectX500Principal().equals(x.getIssuerX500Principal())) chain.add(x);
                }
                PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
                CertPathValidator validator = CertPathValidator.getInstance("PKIX");
                PKIXRevocationChecker revocation = (PKIXRevocationChecker) validator.getRevocationChecker();
                revocation.setOptions(EnumSet.of(PKIXRevocationChecker.Option.PREFER_CRLS, PKIXRevocationChecker.Option.NO_FALLBACK));
                parameters.addCertPathChecker(revocation);
                parameters.setRevocationEnabled(true);
                try {
                    validator.validate(factory.generateCertPath(chain), parameters);
                    System.out.println("VALID");
                } catch (CertPathValidatorException e) {
                    System.out.println("INVALID: " + e.getMessage() + " (index " + e.getIndex() + ", reason " + e.getReason() + ")");
                    System.exit(1);
                }
            }
        }
        """

    /// Validates the chain in `chainPEM` (leaf first; a self-signed root in it is skipped) against
    /// `rootPEM`, checking revocation with CRLs only.
    public static func validateWithCRLs(rootPEM: String, chainPEM: String) throws -> ProcessResult {
        let directory = TestEnvironment.temporaryDirectory("pkix")
        let file = directory + "/CRLOnlyValidation.java"
        try source.write(toFile: file, atomically: true, encoding: .utf8)
        return try ProcessRunner.run("java", [file, rootPEM, chainPEM])
    }
}
