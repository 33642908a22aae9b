#!/bin/sh
# azd postprovision hook: with CLIENT_CREDENTIAL=certificate, creates the app's client certificate in
# Key Vault (infra/hooks/certificate-policy.json: RSA 2048, key NOT exportable, auto-renewed at 80 % of
# its 12-month life) and grants the function app's identity the template's custom signer role at the
# scope of that certificate's key and of the certificate: sign and read the public half, nothing else.
# Why a hook and not Bicep: Key Vault certificates are data-plane objects with no ARM resource type, so
# a template cannot declare one (nor a role assignment on a key that does not exist yet); a deployment
# script could, but it needs a storage account with shared keys (this template turns them off) and an
# identity allowed to create certificates, which the function app's identity must not be. The hook runs
# as the person deploying. Safe to run again: an existing certificate is kept (Key Vault renews it),
# and a role assignment that exists is left as it is.
set -eu

CLIENT_CREDENTIAL="${CLIENT_CREDENTIAL:-secret}"
if [ "$CLIENT_CREDENTIAL" != "certificate" ]; then
  echo "CLIENT_CREDENTIAL is ${CLIENT_CREDENTIAL}: no certificate to create."
  exit 0
fi
: "${KEY_VAULT_NAME:?KEY_VAULT_NAME is not set: run azd provision first}"
: "${KEY_VAULT_ID:?KEY_VAULT_ID is not set: run azd provision first}"
: "${MANAGED_IDENTITY_PRINCIPAL_ID:?MANAGED_IDENTITY_PRINCIPAL_ID is not set: run azd provision first}"
: "${CERTIFICATE_SIGNER_ROLE_ID:?CERTIFICATE_SIGNER_ROLE_ID is not set: run azd provision first}"
NAME="${CLIENT_CERTIFICATE_NAME:-graph-client-certificate}"

if az keyvault certificate show --vault-name "$KEY_VAULT_NAME" --name "$NAME" --query id --output tsv >/dev/null 2>&1; then
  echo "Certificate ${NAME} exists in ${KEY_VAULT_NAME}; Key Vault renews it before it expires."
else
  echo "Creating certificate ${NAME} in ${KEY_VAULT_NAME} (key not exportable)..."
  if ! az keyvault certificate create --vault-name "$KEY_VAULT_NAME" --name "$NAME" \
    --policy @infra/hooks/certificate-policy.json --output none; then
    echo "Could not create the certificate. You need the Key Vault Certificates Officer role on ${KEY_VAULT_NAME}:" >&2
    echo "  az role assignment create --assignee <your object id> --role 'Key Vault Certificates Officer' --scope ${KEY_VAULT_ID}" >&2
    exit 1
  fi
fi

for scope in "${KEY_VAULT_ID}/keys/${NAME}" "${KEY_VAULT_ID}/certificates/${NAME}"; do
  az role assignment create \
    --assignee-object-id "$MANAGED_IDENTITY_PRINCIPAL_ID" \
    --assignee-principal-type ServicePrincipal \
    --role "$CERTIFICATE_SIGNER_ROLE_ID" \
    --scope "$scope" \
    --output none
done

echo "Done. Upload the certificate's public half to the app registration before switching to it:"
echo "  npm run cli -- certificate --out app.cer   (then App registrations > Certificates & secrets > Upload certificate)"
