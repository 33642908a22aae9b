# azd postprovision hook (Windows): the same as postprovision.sh. With CLIENT_CREDENTIAL=certificate,
# creates the non-exportable client certificate in Key Vault and grants the identity the custom signer
# role at the key's and the certificate's scope only.
$ErrorActionPreference = 'Stop'
$credential = if ($env:CLIENT_CREDENTIAL) { $env:CLIENT_CREDENTIAL } else { 'secret' }
if ($credential -ne 'certificate') { Write-Host "CLIENT_CREDENTIAL is ${credential}: no certificate to create."; exit 0 }
foreach ($name in 'KEY_VAULT_NAME', 'KEY_VAULT_ID', 'MANAGED_IDENTITY_PRINCIPAL_ID', 'CERTIFICATE_SIGNER_ROLE_ID') {
  if (-not (Get-Item "env:$name" -ErrorAction SilentlyContinue)) { throw "$name is not set: run azd provision first" }
}
$cert = if ($env:CLIENT_CERTIFICATE_NAME) { $env:CLIENT_CERTIFICATE_NAME } else { 'graph-client-certificate' }
az keyvault certificate show --vault-name $env:KEY_VAULT_NAME --name $cert --query id --output tsv 2>$null | Out-Null
if ($LASTEXITCODE -ne 0) {
  az keyvault certificate create --vault-name $env:KEY_VAULT_NAME --name $cert --policy '@infra/hooks/certificate-policy.json' --output none
  if ($LASTEXITCODE -ne 0) { throw "Could not create the certificate: you need Key Vault Certificates Officer on $($env:KEY_VAULT_NAME)." }
}
foreach ($scope in "$($env:KEY_VAULT_ID)/keys/$cert", "$($env:KEY_VAULT_ID)/certificates/$cert") {
  az role assignment create --assignee-object-id $env:MANAGED_IDENTITY_PRINCIPAL_ID --assignee-principal-type ServicePrincipal --role $env:CERTIFICATE_SIGNER_ROLE_ID --scope $scope --output none
  if ($LASTEXITCODE -ne 0) { throw "Could not assign the signer role at $scope." }
}
Write-Host 'Done. Upload the public half: npm run cli -- certificate --out app.cer'
